import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discordMessage } from '../../lambdas/domain/discord-message';
import { teamsMessage } from '../../lambdas/domain/teams-card';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { deliveryHarness } from '../support/delivery-harness';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * Teams and Discord through the same retry machinery as Slack and webhooks,
 * against real receivers on 127.0.0.1 that answer as the services do.
 */
let dynamo: LocalDynamo;
let receiver: Receiver;
let h: Awaited<ReturnType<typeof deliveryHarness>>;
const links = { dataset: 'https://app.example.com/datasets/{datasetId}' };

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  // Discord answers an execute-webhook call with 204; a Workflows trigger with 202.
  receiver = await startReceiver({ status: 204 });
  h = await deliveryHarness(dynamo);
});
afterEach(() => receiver.close());

describe('Microsoft Teams delivery', () => {
  it('posts the event’s Adaptive Card as a message, once', async () => {
    const subscription = await h.subscribe({ channel: 'teams', url: `${receiver.url}/workflows/abc/triggers/manual/paths/invoke?sig=s` });
    receiver.answerFromNowOn({ status: 202 });
    const event = h.event();

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event);

    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.received[0]?.path).toBe('/workflows/abc/triggers/manual/paths/invoke?sig=s');
    expect(JSON.parse(receiver.received[0]?.body ?? '')).toEqual(teamsMessage(event, links));
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('retries a 5xx and a 429 on the webhook schedule and its Retry-After', async () => {
    const subscription = await h.subscribe({ channel: 'teams', url: `${receiver.url}/teams` });
    receiver.answer({ status: 502 }, { status: 429, headers: { 'retry-after': '30' } }, { status: 202 });
    const event = h.event();

    await h.service.deliverEvent(event);
    h.advance(5_500);
    await h.runDueRetries();
    h.advance(29_000);
    await h.runDueRetries();
    const beforeRetryAfter = receiver.received.length;
    h.advance(1_000);
    await h.runDueRetries();

    expect(beforeRetryAfter).toBe(2);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('is disabled when its trigger answers 410, and the team is told it was Teams', async () => {
    const subscription = await h.subscribe({ channel: 'teams', url: `${receiver.url}/teams` });
    receiver.answer({ status: 410 });

    await h.service.deliverEvent(h.event());

    expect((await h.subscriptions.get('team-a', subscription.id))?.status).toBe('disabled');
    expect(h.notices[0]?.data).toMatchObject({ channel: 'teams', target: 'Microsoft Teams', reason: 'gone' });
  });

  it('sends a test card on request', async () => {
    const subscription = await h.subscribe({ channel: 'teams', url: `${receiver.url}/teams` });
    receiver.answerFromNowOn({ status: 202 });

    const outcome = await h.service.sendTest(subscription);

    expect(outcome).toMatchObject({ ok: true, statusCode: 202, error: null });
    const card = JSON.parse(receiver.received[0]?.body ?? '').attachments[0].content;
    expect(card.fallbackText).toBe('Test notification: dataset test: test notification');
  });
});

describe('Discord delivery', () => {
  it('posts one embed per event, once', async () => {
    const subscription = await h.subscribe({ channel: 'discord', url: `${receiver.url}/api/webhooks/123456789012/token` });
    const event = h.event();

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event);

    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]?.body ?? '')).toEqual(discordMessage(event, links));
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('honours the retry_after of Discord’s 429 body over its rounder Retry-After header', async () => {
    await h.subscribe({ channel: 'discord', url: `${receiver.url}/discord` });
    receiver.answer({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '3' },
      body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 2.5, global: false }),
    });
    const event = h.event();
    const sentAt = h.now().getTime();

    await h.service.deliverEvent(event);

    expect(h.scheduled.map((s) => s.at.getTime() - sentAt)).toEqual([2_500]);
    h.advance(2_499);
    await h.runDueRetries();
    expect(receiver.received).toHaveLength(1);
    h.advance(1);
    await h.runDueRetries();
    expect(receiver.received).toHaveLength(2);
  });

  it('falls back to the Retry-After header when a 429 body has no retry_after', async () => {
    await h.subscribe({ channel: 'discord', url: `${receiver.url}/discord` });
    receiver.answer({ status: 429, headers: { 'retry-after': '7' }, body: 'busy' });
    const sentAt = h.now().getTime();

    await h.service.deliverEvent(h.event());

    expect(h.scheduled.map((s) => s.at.getTime() - sentAt)).toEqual([7_000]);
  });

  it('is disabled when Discord says the webhook is unknown (404, code 10015), not on another 404', async () => {
    const deleted = await h.subscribe({ channel: 'discord', url: `${receiver.url}/deleted` });
    receiver.answer({ status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Unknown Webhook', code: 10015 }) });
    await h.service.deliverEvent(h.event());

    const flaky = await h.subscribe({ channel: 'discord', url: `${receiver.url}/flaky` });
    receiver.answer({ status: 404, body: 'not here today' });
    await h.service.deliverEvent(h.event({ watchId: 'w_2' }));

    expect(await h.subscriptions.get('team-a', deleted.id)).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    expect(h.notices.map((n) => n.data.target)).toEqual(['Discord']);
    expect((await h.subscriptions.get('team-a', flaky.id))?.status).toBe('active');
  });

  it('logs a 5xx with the receiver’s answer and retries it', async () => {
    const subscription = await h.subscribe({ channel: 'discord', url: `${receiver.url}/discord` });
    receiver.answer({ status: 503 });
    const event = h.event();

    await h.service.deliverEvent(event);

    expect(await h.deliveries.recentAttempts(subscription.id)).toEqual([expect.objectContaining({ statusCode: 503, error: 'receiver answered 503' })]);
    expect(h.scheduled).toHaveLength(1);
  });
});
