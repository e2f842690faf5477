import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../lambdas/domain/delivery-schedule';
import { EVENT_TYPES } from '../../lambdas/domain/events';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { deliveryHarness } from '../support/delivery-harness';
import { startReceiver, type Receiver } from '../support/receiver';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

let dynamo: LocalDynamo;
let receiver: Receiver;
let h: Awaited<ReturnType<typeof deliveryHarness>>;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  receiver = await startReceiver();
  h = await deliveryHarness(dynamo);
});
afterEach(() => receiver.close());

describe('webhook delivery', () => {
  it('delivers each event exactly once, signed so a Standard Webhooks library verifies it', async () => {
    // A fresh random secret per subscription: only the one this subscription holds verifies.
    const { plainSecret } = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const event = h.event();

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event); // the queue delivered the message twice

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-id']).toBe(event.id);
    expect(() => new Webhook(SECRET).verify(request?.body ?? '', request?.headers as Record<string, string>)).toThrow();
    const verified = new Webhook(plainSecret!).verify(request?.body ?? '', {
      'webhook-id': String(request?.headers['webhook-id']),
      'webhook-timestamp': String(request?.headers['webhook-timestamp']),
      'webhook-signature': String(request?.headers['webhook-signature']),
    });
    expect(verified).toEqual(event);
  });

  it('records first, sends when told: every matching subscription has a pending record before any POST, an event recorded twice is sent once', async () => {
    const matching = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const paused = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/paused` });
    await h.subscriptions.update('team-a', paused.id, { pausedAt: h.now().toISOString() });
    const event = h.event();

    const start = await h.service.recordDeliveries(event);
    const again = await h.service.recordDeliveries(event);

    expect(receiver.received).toEqual([]);
    expect(await h.deliveries.get(matching.id, event.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: h.now().toISOString() });
    expect(await h.deliveries.get(paused.id, event.id)).toBeUndefined();
    await Promise.all([start(), again()]);
    expect(receiver.received.map((r) => [r.path, r.headers['webhook-id']])).toEqual([['/hook', event.id]]);
    expect((await h.deliveries.get(matching.id, event.id))?.status).toBe('delivered');
    // Recorded once more after it was sent (a republished event): nothing to start.
    await (await h.service.recordDeliveries(event))();
    expect(receiver.received).toHaveLength(1);
  });

  it('retries a receiver that fails twice, with the same webhook-id each time', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 }, { status: 503 });
    const event = h.event();

    await h.service.deliverEvent(event);
    expect(h.scheduled.map((s) => s.at.getTime() - h.now().getTime())).toEqual([5_000]);
    h.advance(5_000);
    await h.runDueRetries();
    expect(h.scheduled.map((s) => s.at.getTime() - h.now().getTime())).toEqual([5 * 60_000]);
    h.advance(5 * 60_000);
    await h.runDueRetries();

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
    const stored = await h.subscriptions.get('team-a', subscription.id);
    expect(stored).toMatchObject({ deliveredCount: 1, failedCount: 2 });
    expect((await h.deliveries.recentAttempts(subscription.id)).map((a) => [a.result, a.statusCode])).toEqual([
      ['delivered', 200],
      ['failed', 503],
      ['failed', 500],
    ]);
    // The success ended the run of failures.
    expect(stored?.failingSince).toBeUndefined();
    // Each failed attempt says what happened and when the next one is.
    expect(h.logger.at('warn').filter((l) => l.message === 'delivery attempt failed; retry scheduled').map((l) => l.extra)).toEqual([
      expect.objectContaining({ subscriptionId: subscription.id, eventId: event.id, attempt: 1, answer: 500, nextAttemptAt: expect.any(String) }),
      expect.objectContaining({ subscriptionId: subscription.id, eventId: event.id, attempt: 2, answer: 503 }),
    ]);
  });

  it('disables a subscription whose receiver answers 410, and sends it nothing more', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 410 });

    await h.service.deliverEvent(h.event());
    await h.service.deliverEvent(h.event());

    expect(receiver.received).toHaveLength(1);
    expect(h.scheduled).toEqual([]);
    expect((await h.subscriptions.get('team-a', subscription.id))?.status).toBe('disabled');
  });

  it('disables a subscription whose receiver answers 410, says why, and tells the team once', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook?token=abc`, description: 'release bot' });
    receiver.answer({ status: 410 }, { status: 410 });

    await Promise.all([h.service.deliverEvent(h.event()), h.service.deliverEvent(h.event())]);

    const stored = await h.subscriptions.get('team-a', subscription.id);
    expect(stored).toMatchObject({ status: 'disabled', disabledReason: 'gone', disabledAt: h.now().toISOString() });
    expect(h.notices).toHaveLength(1);
    expect(h.notices[0]?.data).toEqual({
      team: 'team-a',
      subscriptionId: subscription.id,
      channel: 'webhook',
      target: new URL(receiver.url).host,
      description: 'release bot',
      reason: 'gone',
      failingSince: null,
      disabledAt: h.now().toISOString(),
      lastError: 'receiver answered 410',
    });
  });

  it('dead-letters a delivery after its last attempt', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer(...Array.from({ length: MAX_ATTEMPTS }, () => ({ status: 500 })));
    const event = h.event();

    await h.service.deliverEvent(event);
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      h.advance(11 * 3_600_000);
      await h.runDueRetries();
    }

    expect(receiver.received).toHaveLength(MAX_ATTEMPTS);
    expect(h.deadLetters).toHaveLength(1);
    expect(h.deadLetters[0]).toMatchObject({ record: { eventId: event.id, subscriptionId: subscription.id, attempts: MAX_ATTEMPTS, status: 'dead' }, reason: 'receiver answered 500' });
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('dead');
    // Dead-lettering is what an operator is paged for: logged as an error, with the receiver's last answer.
    expect(h.logger.at('error').map((l) => [l.message, l.extra])).toEqual([
      ['delivery dead-lettered after its last attempt', { subscriptionId: subscription.id, eventId: event.id, attempts: MAX_ATTEMPTS, answer: 500 }],
    ]);
  });

  it('sends a long backoff back to sleep when the queue wakes it early', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 }, { status: 500 }, { status: 500 });
    const event = h.event();
    await h.service.deliverEvent(event);
    h.advance(5_000);
    await h.runDueRetries();
    h.advance(5 * 60_000);
    await h.runDueRetries();
    const dueAt = (await h.deliveries.get(subscription.id, event.id))?.nextAttemptAt;

    h.advance(15 * 60_000); // SQS's longest delay: 15 of the 30 minutes
    await h.service.retry({ team: 'team-a', subscriptionId: subscription.id, eventId: event.id });

    expect(receiver.received).toHaveLength(3);
    expect(h.scheduled.at(-1)?.at.toISOString()).toBe(dueAt);
  });

  it('redelivers a past event on request with its original id', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const event = h.event();
    await h.service.deliverEvent(event);

    const outcome = await h.service.redeliver(subscription, event.id);
    const unknown = await h.service.redeliver(subscription, 'evt_never_sent');

    expect(outcome).toMatchObject({ ok: true, statusCode: 200 });
    expect(unknown).toBeUndefined();
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
  });

  it('sends a signed test event', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });

    const outcome = await h.service.sendTest(subscription);

    expect(outcome.ok).toBe(true);
    const [request] = receiver.received;
    const verified = new Webhook(subscription.plainSecret!).verify(request?.body ?? '', request?.headers as Record<string, string>) as { type: string };
    expect(verified.type).toBe(EVENT_TYPES.test);
  });
});

describe('Slack delivery', () => {
  it('posts a Block Kit message with a plain-text fallback', async () => {
    await h.subscribe({ channel: 'slack', url: `${receiver.url}/services/T0/B0/x` });

    await h.service.deliverEvent(h.event());

    const message = JSON.parse(receiver.received[0]?.body ?? '{}');
    expect(message.text).toBe('nightly eval: dataset ds_42: running → succeeded (grade C → A)');
    expect(message.blocks.map((b: { type: string }) => b.type)).toEqual(['section', 'section', 'context']);
    const fields = message.blocks[1].fields.map((f: { type: string; text: string }) => f.text);
    expect(fields).toEqual([
      '*Resource*\n<https://app.example.com/datasets/ds_42|datasets/ds_42>',
      '*status*\n`running` → `succeeded`',
      '*grade*\n`C` → `A`',
      '*score*\n`0.91`',
    ]);
    for (const field of message.blocks[1].fields) expect(field.type).toBe('mrkdwn');
  });

  it('records a message Slack took as delivered, and one it refused as failed', async () => {
    const subscription = await h.subscribe({ channel: 'slack', url: `${receiver.url}/services/T0/B0/x` });
    receiver.answer({ status: 200 }, { status: 404, body: 'no_service' });

    await h.service.deliverEvent(h.event());
    h.advance(1_000);
    await h.service.deliverEvent(h.event());

    expect((await h.deliveries.recentAttempts(subscription.id)).map((a) => [a.result, a.statusCode])).toEqual([
      ['failed', 404],
      ['delivered', 200],
    ]);
    expect(await h.subscriptions.get('team-a', subscription.id)).toMatchObject({ deliveredCount: 1, failedCount: 1, failingSince: h.now().toISOString() });
  });

  it('waits as long as Slack’s Retry-After asks after a 429', async () => {
    await h.subscribe({ channel: 'slack', url: `${receiver.url}/services/T0/B0/x` });
    receiver.answer({ status: 429, headers: { 'retry-after': '42' } });

    await h.service.deliverEvent(h.event());
    h.advance(41_000);
    await h.runDueRetries();
    const beforeDue = receiver.received.length;
    h.advance(1_000);
    await h.runDueRetries();

    expect(beforeDue).toBe(1);
    expect(receiver.received).toHaveLength(2);
  });
});

describe('matching', () => {
  it('never sends team A’s event to team B’s subscription', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/b`, team: 'team-b' });

    await h.service.deliverEvent(h.event({ team: 'team-a' }));

    expect(receiver.received).toEqual([]);
  });

  it.each([
    ['watch', { watchIds: ['w_2'] }, { watchId: 'w_2' }, { watchId: 'w_1' }],
    ['resource type', { resourceTypes: ['correction_session' as const] }, { correction: true }, { correction: false }],
    ['changed field', { changes: ['grade' as const] }, { changes: [{ field: 'grade' as const, from: null, to: 'B' }] }, { changes: [{ field: 'status' as const, from: 'a', to: 'b' }] }],
  ])('filters by %s', async (_name, filter, matching, other) => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, filter });
    const wanted = h.event(matching);

    await h.service.deliverEvent(h.event(other));
    await h.service.deliverEvent(wanted);

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([wanted.id]);
  });

  it('still sends lifecycle events through a changed-field filter', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, filter: { changes: ['grade'] } });

    await h.service.deliverEvent(h.event({ type: EVENT_TYPES.failing, changes: [] }));

    expect(receiver.received).toHaveLength(1);
  });

  it('skips disabled subscriptions and email (which SNS sends itself)', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, status: 'disabled' });
    await h.subscribe({ channel: 'email', address: 'a@corp.example' });

    await h.service.deliverEvent(h.event());

    expect(receiver.received).toEqual([]);
  });
});

describe('disabling an endpoint that keeps failing', () => {
  const DAY = 86_400_000;
  const LIMIT = 5 * DAY;

  it('disables a webhook once every delivery has failed for 5 days, tells the team once, and sends it nothing more', async () => {
    receiver.close();
    receiver = await startReceiver({ status: 500 });
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const firstFailure = h.now().toISOString();

    await h.service.deliverEvent(h.event());
    h.advance(3 * DAY);
    await h.service.deliverEvent(h.event());
    h.advance(2 * DAY - 1);
    await h.service.deliverEvent(h.event());
    const beforeLimit = await h.subscriptions.get('team-a', subscription.id);
    h.advance(1);
    const last = h.event();
    await h.service.deliverEvent(last);
    const sentBeforeDisabled = receiver.received.length;
    await h.service.deliverEvent(h.event());
    await h.runDueRetries();
    h.advance(DAY);
    await h.runDueRetries();

    expect(beforeLimit).toMatchObject({ status: 'active', failingSince: firstFailure });
    expect(await h.subscriptions.get('team-a', subscription.id)).toMatchObject({
      status: 'disabled',
      disabledReason: 'failing',
      failingSince: firstFailure,
      disabledAt: new Date(Date.parse(firstFailure) + LIMIT).toISOString(),
    });
    expect(sentBeforeDisabled).toBe(4);
    expect(receiver.received).toHaveLength(4);
    // The attempt that reached the limit schedules no retry; earlier retries find it disabled.
    expect(h.scheduled.filter((s) => s.ref.eventId === last.id)).toEqual([]);
    expect((await h.deliveries.get(subscription.id, last.id))?.status).toBe('abandoned');
    expect(h.notices.map((n) => [n.type, n.data.subscriptionId, n.data.reason, n.data.failingSince, n.data.lastError])).toEqual([
      ['io.watchpost.subscription.disabled', subscription.id, 'failing', firstFailure, 'receiver answered 500'],
    ]);
    // What the operator sees: one warning that says why, with what the team is told.
    expect(h.logger.at('warn').filter((l) => l.message.endsWith('subscription disabled')).map((l) => [l.message, l.extra])).toEqual([
      [
        'deliveries failing without a break; subscription disabled',
        { subscriptionId: subscription.id, team: 'team-a', reason: 'failing', failingSince: firstFailure, lastError: 'receiver answered 500' },
      ],
    ]);
  });

  it('starts the run afresh after a success: a receiver that fails on and off stays enabled', async () => {
    const subscription = await h.subscribe({ channel: 'slack', url: `${receiver.url}/slack` });
    receiver.answer({ status: 500 }, { status: 200 }, { status: 500 }, { status: 500 });

    await h.service.deliverEvent(h.event());
    h.advance(4 * DAY);
    await h.service.deliverEvent(h.event());
    const afterSuccess = await h.subscriptions.get('team-a', subscription.id);
    h.advance(DAY / 2);
    const restartedAt = h.now().toISOString();
    await h.service.deliverEvent(h.event());
    h.advance(LIMIT - 1);
    await h.service.deliverEvent(h.event());

    expect(afterSuccess?.failingSince).toBeUndefined();
    expect(await h.subscriptions.get('team-a', subscription.id)).toMatchObject({ status: 'active', failingSince: restartedAt });
    expect(h.notices).toEqual([]);
  });

  it('of many deliveries that reach the limit at once, one disables it and the team is told once', async () => {
    for (let round = 0; round < 5; round++) {
      receiver.close();
      receiver = await startReceiver({ status: 503 });
      h = await deliveryHarness(dynamo);
      const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
      await h.service.deliverEvent(h.event());
      h.advance(LIMIT);

      await Promise.all(Array.from({ length: 8 }, () => h.service.deliverEvent(h.event())));

      expect((await h.subscriptions.get('team-a', subscription.id))?.status).toBe('disabled');
      expect(h.notices).toHaveLength(1);
    }
  });

  it('delivers again once the team turns it back on, with the run of failures forgotten', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 }, { status: 500 });
    await h.service.deliverEvent(h.event());
    h.advance(LIMIT);
    await h.service.deliverEvent(h.event());
    const skipped = h.event();
    await h.service.deliverEvent(skipped);

    const enabled = await h.subscriptions.enable('team-a', subscription.id);
    const again = await h.subscriptions.enable('team-a', subscription.id);
    const next = h.event();
    await h.service.deliverEvent(next);

    expect(enabled).toMatchObject({ status: 'active' });
    expect(enabled?.failingSince).toBeUndefined();
    expect(enabled?.disabledAt).toBeUndefined();
    expect(again).toBeUndefined();
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([expect.any(String), expect.any(String), next.id]);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).not.toContain(skipped.id);
  });

  it('disables only an active subscription (paused or not), never one pending confirmation; enables only a disabled one', async () => {
    const paused = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, pausedAt: h.now().toISOString() });

    expect(await h.subscriptions.disable('team-a', paused.id, { reason: 'failing', at: h.now() })).toMatchObject({ status: 'disabled' });
    expect(await h.subscriptions.disable('team-a', paused.id, { reason: 'failing', at: h.now() })).toBeUndefined();
    const pending = await h.subscribe({ channel: 'email', address: 'a@corp.example', status: 'pending_confirmation' });
    expect(await h.subscriptions.disable('team-a', pending.id, { reason: 'failing', at: h.now() })).toBeUndefined();
    expect(await h.subscriptions.enable('team-a', pending.id)).toBeUndefined();
    expect((await h.subscriptions.get('team-a', pending.id))?.status).toBe('pending_confirmation');
  });
});
