import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { subscriptionKey } from '../../lambdas/adapters/dynamo/keys';
import { newWebhookSecret } from '../../lambdas/api/auth';
import { DeliveryCutShort } from '../../lambdas/delivery/delivery-service';
import type { WatchEvent } from '../../lambdas/domain/events';
import { secretContext, type Subscription } from '../../lambdas/domain/subscription';
import { deliveryHarness } from '../support/delivery-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { startReceiver, type Receiver, type ReceivedRequest } from '../support/receiver';

/**
 * The delivery service's less travelled paths, against the DynamoDB protocol
 * server and a real receiver on 127.0.0.1: retries that come due after the
 * subscription changed, secret rotation, the email channel, lanes, and
 * failures of the parts around an attempt.
 */
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

const refOf = (subscription: Subscription, event: WatchEvent) => ({ team: subscription.team, subscriptionId: subscription.id, eventId: event.id });

function verifies(secret: string, request: ReceivedRequest | undefined): boolean {
  try {
    new Webhook(secret).verify(request?.body ?? '', {
      'webhook-id': String(request?.headers['webhook-id']),
      'webhook-timestamp': String(request?.headers['webhook-timestamp']),
      'webhook-signature': String(request?.headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}

describe('a retry that comes due after the subscription changed', () => {
  it.each([
    ['paused', (s: Subscription) => h.subscriptions.update(s.team, s.id, { pausedAt: h.now().toISOString() }), 'subscription paused', 'skipped'],
    ['disabled', (s: Subscription) => h.subscriptions.disable(s.team, s.id, { reason: 'failing', at: h.now() }), 'subscription disabled', 'abandoned'],
    ['deleted', (s: Subscription) => h.subscriptions.delete(s.team, s.id), 'subscription deleted', 'abandoned'],
  ])('is dropped, not sent, when the subscription was %s meanwhile, and the record says why', async (_state, change, why, status) => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 });
    const event = h.event();
    await h.service.deliverEvent(event);

    await change(subscription);
    h.advance(5_000);
    await h.runDueRetries();

    expect(receiver.received).toHaveLength(1);
    expect(await h.deliveries.get(subscription.id, event.id)).toMatchObject({ status, attempts: 1, nextAttemptAt: null });
    expect((await h.deliveries.recentAttempts(subscription.id))[0]).toEqual({ at: h.now().toISOString(), eventId: event.id, attempt: 2, result: 'skipped', statusCode: null, latencyMs: 0, error: why, watchId: 'w_1', summary: 'Run finished (running → succeeded): grade C → A' });
    expect(h.scheduled).toEqual([]);
    // The skip counts neither way: the one failure before it is all the subscription holds.
    const counted = await h.subscriptions.get(subscription.team, subscription.id);
    expect([counted?.deliveredCount, counted?.failedCount]).toEqual(status === 'skipped' || _state === 'disabled' ? [undefined, 1] : [undefined, undefined]);
  });

  it('is sent when it wakes exactly the early-wake allowance (1 s) before it is due, and put back to sleep a millisecond earlier', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 });
    const event = h.event();
    await h.service.deliverEvent(event);
    const dueAt = Date.parse((await h.deliveries.get(subscription.id, event.id))!.nextAttemptAt!);

    h.advance(dueAt - h.now().getTime() - 1_001);
    await h.service.retry(refOf(subscription, event));
    const sentTooEarly = receiver.received.length;
    h.advance(1);
    await h.service.retry(refOf(subscription, event));

    expect(sentTooEarly).toBe(1);
    expect(h.scheduled.map((s) => s.at.getTime())).toEqual([dueAt, dueAt]);
    expect(receiver.received).toHaveLength(2);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('does nothing for a record that is no longer pending or was never made', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const event = h.event();
    await h.service.deliverEvent(event);

    await h.service.retry(refOf(subscription, event));
    await h.service.retry({ ...refOf(subscription, event), eventId: 'evt_never_sent' });

    expect(receiver.received).toHaveLength(1);
    expect(await h.deliveries.recentAttempts(subscription.id)).toHaveLength(1);
  });
});

describe('signing', () => {
  it('signs with the old and the new secret during a rotation’s grace period, and with the new one only from its end', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const newSecret = newWebhookSecret();
    const graceEnds = new Date(h.now().getTime() + 60_000);
    const rotated = await h.subscriptions.rotateSecret(subscription.team, subscription.id, subscription.secret!, {
      secret: await h.secrets.seal(newSecret, secretContext(subscription)),
      previousSecretExpiresAt: graceEnds.toISOString(),
    });
    const stored = (await h.subscriptions.get(subscription.team, subscription.id))!;

    h.advance(59_999);
    await h.service.deliverEvent(h.event());
    h.advance(1);
    await h.service.deliverEvent(h.event());

    expect(rotated).toBe(true);
    const [during, after] = receiver.received;
    expect(String(during?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(subscription.plainSecret!, during), verifies(newSecret, during)]).toEqual([true, true]);
    expect(String(after?.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect([verifies(subscription.plainSecret!, after), verifies(newSecret, after)]).toEqual([false, true]);
    expect(stored.previousSecret).toBe(subscription.secret);
  });

  it('sends nothing for a webhook subscription without a signing secret, and says so in its attempt', async () => {
    const unsigned = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    await dynamo.client.send(new UpdateItemCommand({ TableName: h.tableName, Key: marshall(subscriptionKey(unsigned.team, unsigned.id)), UpdateExpression: 'REMOVE secret' }));
    const event = h.event();

    await h.service.deliverEvent(event);

    expect(receiver.received).toEqual([]);
    expect((await h.deliveries.recentAttempts(unsigned.id))[0]).toMatchObject({ eventId: event.id, statusCode: null, error: 'this webhook subscription has no signing secret' });
    expect(h.scheduled.map((s) => s.ref.eventId)).toEqual([event.id]);
  });

  it('logs the signed test event as the subscription’s attempt, under an id of its own', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });

    const outcome = await h.service.sendTest(subscription);

    const [attempt] = await h.deliveries.recentAttempts(subscription.id);
    expect(attempt).toMatchObject({ at: h.now().toISOString(), attempt: 1, result: 'delivered', statusCode: 200, error: null, watchId: null, summary: 'Test notification', eventId: expect.stringMatching(/^evt_test_[0-9a-f]{32}$/) });
    expect(receiver.received[0]?.headers['webhook-id']).toBe(attempt?.eventId);
    expect(outcome).toMatchObject({ ok: true, statusCode: 200, error: null });
    // A receiver can tell the test event from a real one by its watch as well as its type.
    const sent = JSON.parse(receiver.received[0]?.body ?? '{}') as WatchEvent;
    expect(sent).toMatchObject({ type: 'io.watchpost.subscription.test', id: attempt?.eventId });
    expect(sent.data).toMatchObject({ watchId: 'test', team: subscription.team, label: 'Test notification', resource: { type: 'dataset', datasetId: 'test' } });
  });
});

describe('redelivery on request', () => {
  it('keeps a failed redelivery’s record pending with its schedule, and counts the attempt', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 }, { status: 502 });
    const event = h.event();
    await h.service.deliverEvent(event);
    const before = (await h.deliveries.get(subscription.id, event.id))!;

    const failed = await h.service.redeliver(subscription, event.id);
    const afterFailure = await h.deliveries.get(subscription.id, event.id);
    const succeeded = await h.service.redeliver(subscription, event.id);

    expect(failed).toMatchObject({ ok: false, statusCode: 502, error: 'receiver answered 502' });
    expect(afterFailure).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: before.nextAttemptAt });
    expect(succeeded).toMatchObject({ ok: true, statusCode: 200 });
    expect(await h.deliveries.get(subscription.id, event.id)).toMatchObject({ status: 'delivered', attempts: 3, nextAttemptAt: null });
  });
});

describe('a receiver’s Retry-After', () => {
  it('is taken at its word, but never sooner than a second', async () => {
    await h.subscribe({ channel: 'slack', url: `${receiver.url}/slack` });
    receiver.answer({ status: 429, headers: { 'retry-after': '0' } });

    await h.service.deliverEvent(h.event());

    expect(h.scheduled.map((s) => s.at.getTime() - h.now().getTime())).toEqual([1_000]);
  });
});

describe('the email channel, where this process sends mail itself (the local runtime)', () => {
  it('hands the event to the mail sender once, as delivered with no borrowed status code', async () => {
    const sent: Array<{ address: string | undefined; eventId: string }> = [];
    h = await deliveryHarness(dynamo, undefined, {
      channels: ['email', 'webhook'],
      email: { send: async (subscription, event) => void sent.push({ address: subscription.address, eventId: event.id }) },
    });
    const subscription = await h.subscribe({ channel: 'email', address: 'ops@corp.example' });
    const event = h.event();

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event);

    expect(sent).toEqual([{ address: 'ops@corp.example', eventId: event.id }]);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
    const [attempt] = await h.deliveries.recentAttempts(subscription.id);
    expect(attempt).toMatchObject({ statusCode: null, error: null });
    // The time the mail sender took, not a timestamp.
    expect(attempt?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(attempt?.latencyMs).toBeLessThan(10_000);
  });

  it('counts a mail handed on as delivered, though it has no HTTP answer: no failure run, nothing toward disabling', async () => {
    h = await deliveryHarness(dynamo, undefined, { channels: ['email'], email: { send: async () => undefined } });
    const subscription = await h.subscribe({ channel: 'email', address: 'ops@corp.example' });

    await h.service.deliverEvent(h.event());
    await h.service.deliverEvent(h.event());

    const stored = await h.subscriptions.get(subscription.team, subscription.id);
    expect(stored).toMatchObject({ deliveredCount: 2, lastSuccessAt: h.now().toISOString() });
    expect(stored?.failedCount).toBeUndefined();
    expect(stored?.failingSince).toBeUndefined();
    expect((await h.deliveries.recentAttempts(subscription.id)).map((a) => a.result)).toEqual(['delivered', 'delivered']);
  });

  it('fails, and retries, when email is among the channels but nothing here can send it', async () => {
    h = await deliveryHarness(dynamo, undefined, { channels: ['email'] });
    const subscription = await h.subscribe({ channel: 'email', address: 'ops@corp.example' });

    await h.service.deliverEvent(h.event());

    expect((await h.deliveries.recentAttempts(subscription.id))[0]).toMatchObject({ statusCode: null, error: 'email is delivered by SNS here' });
    expect(h.scheduled).toHaveLength(1);
  });

  it('records a mail sender’s failure as the attempt’s error', async () => {
    h = await deliveryHarness(dynamo, undefined, {
      channels: ['email'],
      email: {
        send: async () => {
          throw new Error('mail log not writable');
        },
      },
    });
    const subscription = await h.subscribe({ channel: 'email', address: 'ops@corp.example' });

    await h.service.deliverEvent(h.event());

    expect((await h.deliveries.recentAttempts(subscription.id))[0]).toMatchObject({ statusCode: null, latencyMs: 0, error: 'mail log not writable' });
    // A send that threw is a failed attempt: retried, not counted as delivered.
    expect(h.scheduled).toHaveLength(1);
    expect((await h.subscriptions.get(subscription.team, subscription.id))).toMatchObject({ failedCount: 1 });
  });
});

describe('around an attempt', () => {
  it('runs every attempt in its subscription’s lane, first deliveries and retries alike', async () => {
    const lanes: string[] = [];
    h = await deliveryHarness(dynamo, undefined, { lanes: { run: (key, task) => (lanes.push(key), task()) } });
    const a = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/a` });
    receiver.answer({ status: 500 });
    const event = h.event();

    await h.service.deliverEvent(event);
    h.advance(5_000);
    await h.runDueRetries();

    expect(lanes).toEqual([a.id, a.id]);
    expect(receiver.received).toHaveLength(2);
  });

  it('leaves a subscription disabled and logs it when telling the team fails', async () => {
    h = await deliveryHarness(dynamo, undefined, {
      notices: {
        subscriptionDisabled: async () => {
          throw new Error('topic unavailable');
        },
      },
    });
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 410 });
    const event = h.event();

    await h.service.deliverEvent(event);

    expect((await h.subscriptions.get(subscription.team, subscription.id))?.status).toBe('disabled');
    expect(await h.deliveries.get(subscription.id, event.id)).toMatchObject({ status: 'abandoned', attempts: 1, nextAttemptAt: null });
    expect(h.logger.at('warn').map((l) => l.message)).toContain('receiver answered 410; subscription disabled');
    expect(h.logger.at('error').map((l) => [l.message, l.extra])).toEqual([
      ['could not tell the team its subscription was disabled', expect.objectContaining({ subscriptionId: subscription.id, reason: 'gone', error: 'topic unavailable' })],
    ]);
  });

  it('starts nothing once its signal has fired, and says how many subscriptions were left', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/a` });
    await h.subscribe({ channel: 'slack', url: `${receiver.url}/b` });
    const aborted = AbortSignal.abort();

    const outcome = await h.service.deliverEvent(h.event(), undefined, { signal: aborted }).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(DeliveryCutShort);
    expect((outcome as DeliveryCutShort).unstarted).toBe(2);
    // The handler logs it by name and message when it hands the message back to the queue.
    expect((outcome as Error).name).toBe('DeliveryCutShort');
    expect((outcome as Error).message).toBe('time ran short before 2 subscription(s) were tried; the message is retried');
    expect(receiver.received).toEqual([]);
  });

  it.each([
    ['60 s by default', undefined, 60_000],
    ['as long as configured', 30_000, 30_000],
  ])('holds an attempt’s lease while it is in flight, %s', async (_name, leaseMs, heldMs) => {
    let inFlight: Awaited<ReturnType<typeof h.deliveries.get>>;
    let subscriptionId = '';
    h = await deliveryHarness(dynamo, undefined, {
      ...(leaseMs === undefined ? {} : { leaseMs }),
      // Looks at the record while the POST is under way: what another process would find.
      post: async (_url, _body, headers) => {
        inFlight = await h.deliveries.get(subscriptionId, headers['webhook-id'] ?? '');
        return { ok: true, statusCode: 200, latencyMs: 1 };
      },
    });
    subscriptionId = (await h.subscribe({ channel: 'webhook', url: 'https://hooks.example.com/x' })).id;

    await h.service.deliverEvent(h.event());

    expect(inFlight!).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: new Date(h.now().getTime() + heldMs).toISOString() });
  });
});
