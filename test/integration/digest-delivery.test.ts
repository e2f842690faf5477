import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { digestId, periodEnd } from '../../lambdas/domain/digest';
import type { WatchEvent } from '../../lambdas/domain/events';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { deliveryHarness } from '../support/delivery-harness';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver';

/**
 * Digests through the delivery records and the retry machinery: one message
 * per period, against real receivers on 127.0.0.1. One-minute periods keep
 * the harness clock within the five minutes a Standard Webhooks receiver
 * accepts a signature's timestamp.
 */
let dynamo: LocalDynamo;
let receiver: Receiver;
let h: Awaited<ReturnType<typeof deliveryHarness>>;
const digest = { everyMinutes: 1 };

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  receiver = await startReceiver({ status: 204 });
  h = await deliveryHarness(dynamo);
});
afterEach(() => receiver.close());

/** To the end of the current period, and runs what is due, as the queue would. */
async function toPeriodEnd() {
  h.advance(periodEnd(digest, h.now()).getTime() - h.now().getTime());
  await h.runDueRetries();
}

function verify(secret: string, request: ReceivedRequest | undefined): WatchEvent[] {
  return new Webhook(secret).verify(request?.body ?? '', {
    'webhook-id': String(request?.headers['webhook-id']),
    'webhook-timestamp': String(request?.headers['webhook-timestamp']),
    'webhook-signature': String(request?.headers['webhook-signature']),
  }) as WatchEvent[];
}

describe('webhook digests', () => {
  it('sends nothing for a period without events (0)', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });

    await toPeriodEnd();
    await toPeriodEnd();

    expect(receiver.received).toEqual([]);
    expect(h.scheduled).toEqual([]);
  });

  it('sends one event as a batch of one at the period’s end, no later (1)', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });
    const event = h.event();
    const end = periodEnd(digest, h.now());

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event); // the queue brought it twice
    expect(receiver.received).toEqual([]);
    // The wake-up is at the period's end: the event waits no longer than its period.
    expect(h.scheduled.map((s) => s.at.toISOString())).toEqual([end.toISOString(), end.toISOString()]);
    h.advance(end.getTime() - h.now().getTime() - 1);
    await h.runDueRetries();
    expect(receiver.received).toEqual([]);
    await toPeriodEnd();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(request?.headers['content-type']).toBe('application/cloudevents-batch+json');
    expect(request?.headers['webhook-id']).toBe(digestId(subscription.id, [event.id]));
    expect(verify(subscription.plainSecret!, request)).toEqual([event]);
    // Redelivery is per event, with its own id; a digest's key is no event.
    expect(await h.service.redeliver(subscription, `digest_${end.toISOString()}`)).toBeUndefined();
    expect(await h.service.redeliver(subscription, event.id)).toMatchObject({ ok: true });
    expect(receiver.received.at(-1)?.headers['webhook-id']).toBe(event.id);
  });

  it('sends many events of a period as one batch, grouped by watch, each watch’s newest last (many)', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });
    const events = [h.event({ watchId: 'w_1' }), h.event({ watchId: 'w_2' }), h.event({ watchId: 'w_1' }), h.event({ watchId: 'w_3' }), h.event({ watchId: 'w_2' })];
    for (const [i, event] of events.entries()) {
      event.time = new Date(h.now().getTime() + i).toISOString();
      await h.service.deliverEvent(event);
    }

    await toPeriodEnd();
    await toPeriodEnd();

    expect(receiver.received).toHaveLength(1);
    const batch = verify(subscription.plainSecret!, receiver.received[0]);
    expect(batch.map((e) => e.data.watchId)).toEqual(['w_1', 'w_1', 'w_2', 'w_2', 'w_3']);
    expect(batch.map((e) => e.id)).toEqual([events[0], events[2], events[1], events[4], events[3]].map((e) => e?.id));
    expect(receiver.received[0]?.headers['webhook-id']).toBe(digestId(subscription.id, events.map((e) => e.id)));
  });

  it('retries a failed digest as the same batch, with the same id', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });
    receiver.answer({ status: 503 });
    await h.service.deliverEvent(h.event({ watchId: 'w_1' }));
    await h.service.deliverEvent(h.event({ watchId: 'w_2' }));

    await toPeriodEnd();
    // An event of the next period does not join the batch being retried.
    await h.service.deliverEvent(h.event({ watchId: 'w_3' }));
    h.advance(5_500);
    await h.runDueRetries();

    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
    expect(verify(subscription.plainSecret!, second)).toEqual(verify(subscription.plainSecret!, first));
    expect(verify(subscription.plainSecret!, second).map((e) => e.data.watchId)).toEqual(['w_1', 'w_2']);
    await toPeriodEnd();
    expect(verify(subscription.plainSecret!, receiver.received[2]).map((e) => e.data.watchId)).toEqual(['w_3']);
  });

  it('drops what a digest holds when the subscription is paused before the period ends', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });
    await h.service.deliverEvent(h.event());
    await h.subscriptions.update('team-a', subscription.id, { pausedAt: h.now().toISOString() });

    await toPeriodEnd();

    expect(receiver.received).toEqual([]);
  });

  it('puts an event that comes after its digest was frozen into the next one, never both', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, digest });
    const early = h.event({ watchId: 'w_1' });
    const late = h.event({ watchId: 'w_2' });
    await h.service.deliverEvent(early);
    await toPeriodEnd();
    // `late` is seen just before the period's end (a slow process), but written after its digest was frozen and sent.
    h.advance(-1);
    await h.service.deliverEvent(late);
    h.advance(1);
    expect(receiver.received).toHaveLength(1);
    expect((await h.deliveries.get(subscription.id, late.id))?.digestKey).toBe(`digest_${periodEnd(digest, h.now()).toISOString()}`);
    await toPeriodEnd();

    expect(receiver.received.map((r) => verify(subscription.plainSecret!, r).map((e) => e.data.watchId))).toEqual([['w_1'], ['w_2']]);
  });
});

describe('chat digests', () => {
  it.each([
    ['slack', '/services/T/B/x'],
    ['teams', '/teams'],
    ['discord', '/discord'],
  ] as const)('%s gets one message for a period of many events, with “and N more” past 20', async (channel, path) => {
    await h.subscribe({ channel, url: `${receiver.url}${path}`, digest });
    for (let i = 0; i < 25; i++) await h.service.deliverEvent(h.event({ watchId: `w_${i % 3}` }));

    await toPeriodEnd();
    await toPeriodEnd();

    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0]?.body ?? '';
    expect(body).toContain('Watchpost digest: 25 events');
    expect(body).toContain('and 5 more');
  });
});

describe('what a digest costs in DynamoDB', () => {
  it('2 writes per event (its record, its id in the digest), 5 per digest sent, 1 read per event to send it', async () => {
    const client = localDynamoClient(dynamo.endpoint);
    const calls: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    }, { step: 'initialize' });
    try {
      const c = await deliveryHarness({ ...dynamo, client });
      const subscription = await c.subscribe({ channel: 'discord', url: `${receiver.url}/discord`, digest });
      calls.length = 0;
      for (const watchId of ['w_1', 'w_2', 'w_3']) await c.service.deliverEvent(c.event({ watchId }), async () => [subscription]);
      const perEvent = [...calls];
      calls.length = 0;
      c.advance(periodEnd(digest, c.now()).getTime() - c.now().getTime());
      await c.runDueRetries();
      const send = [...calls];

      expect(perEvent).toEqual(['PutItem', 'UpdateItem', 'PutItem', 'UpdateItem', 'PutItem', 'UpdateItem']);
      // The digest and the subscription read, the freeze, the three events read, the lease, its state, the log, the counters.
      expect(send).toEqual(['GetItem', 'GetItem', 'UpdateItem', 'GetItem', 'GetItem', 'GetItem', 'UpdateItem', 'UpdateItem', 'PutItem', 'UpdateItem']);
      expect(receiver.received).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });
});
