import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { QuietHours } from '../../lambdas/domain/quiet-hours';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { deliveryHarness } from '../support/delivery-harness';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * Quiet hours through the delivery records and the retry machinery, with an
 * injected clock: held events wait in their record, due at the window's end,
 * and the ordinary retry wake-up delivers them, once, with their own ids.
 */
let dynamo: LocalDynamo;
let receiver: Receiver;
let h: Awaited<ReturnType<typeof deliveryHarness>>;
const quietHours: QuietHours = { timeZone: 'Europe/Vienna', from: '19:00', to: '08:00', except: { statuses: ['failed'] } };

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  receiver = await startReceiver({ status: 204 });
  h = await deliveryHarness(dynamo);
});
afterEach(() => receiver.close());

function setClock(iso: string) {
  h.advance(Date.parse(iso) - h.now().getTime());
}

const failed = { changes: [{ field: 'status' as const, from: 'running', to: 'failed' }] };

describe('quiet hours', () => {
  it('holds an event in the window and delivers it once, with its id, when the window ends', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, quietHours });
    setClock('2026-01-14T21:00:00Z'); // 22:00 in Vienna
    const event = h.event();

    await h.service.deliverEvent(event);
    await h.service.deliverEvent(event); // the queue brought the message twice

    expect(receiver.received).toEqual([]);
    expect(await h.deliveries.get(subscription.id, event.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: '2026-01-15T07:00:00.000Z' });
    expect(h.scheduled.map((s) => s.at.toISOString())).toEqual(['2026-01-15T07:00:00.000Z', '2026-01-15T07:00:00.000Z']);

    setClock('2026-01-15T06:59:00Z');
    await h.runDueRetries();
    expect(receiver.received).toEqual([]);
    setClock('2026-01-15T07:00:00Z');
    await h.runDueRetries();

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id]);
    expect(JSON.parse(receiver.received[0]?.body ?? '').id).toBe(event.id);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('delivers an urgent event (a change to an excepted status) at once, inside the window', async () => {
    await h.subscribe({ channel: 'discord', url: `${receiver.url}/discord`, quietHours });
    setClock('2026-01-14T23:30:00Z'); // 00:30 in Vienna, past midnight

    const urgent = h.event(failed);
    urgent.data.current = { status: 'failed', grade: null, score: null, progressPercent: null, details: {} };
    await h.service.deliverEvent(urgent);
    await h.service.deliverEvent(h.event({ watchId: 'w_2' }));

    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]?.body ?? '').embeds[0].title).toContain('running → failed');
  });

  it('delivers at once outside the window', async () => {
    await h.subscribe({ channel: 'teams', url: `${receiver.url}/teams`, quietHours });
    setClock('2026-01-15T11:00:00Z');

    await h.service.deliverEvent(h.event());

    expect(receiver.received).toHaveLength(1);
    expect(h.scheduled).toEqual([]);
  });

  it('across the spring-forward night, delivers at 08:00 summer time (06:00 UTC), not an hour late', async () => {
    const subscription = await h.subscribe({ channel: 'slack', url: `${receiver.url}/services/T/B/x`, quietHours });
    setClock('2026-03-28T20:00:00Z'); // Saturday 21:00 CET
    const event = h.event();

    await h.service.deliverEvent(event);
    setClock('2026-03-29T05:59:59Z');
    await h.runDueRetries();
    const beforeEnd = receiver.received.length;
    setClock('2026-03-29T06:00:00Z');
    await h.runDueRetries();

    expect(beforeEnd).toBe(0);
    expect(receiver.received).toHaveLength(1);
    expect((await h.deliveries.get(subscription.id, event.id))?.status).toBe('delivered');
  });

  it('holds again when it wakes inside a window the team moved later meanwhile', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook`, quietHours });
    setClock('2026-01-14T21:00:00Z');
    const event = h.event();
    await h.service.deliverEvent(event);
    await h.subscriptions.update('team-a', subscription.id, { quietHours: { ...quietHours, to: '09:30' } } as never);

    setClock('2026-01-15T07:00:00Z');
    await h.runDueRetries();
    expect(receiver.received).toEqual([]);
    expect((await h.deliveries.get(subscription.id, event.id))?.nextAttemptAt).toBe('2026-01-15T08:30:00.000Z');
    setClock('2026-01-15T08:30:00Z');
    await h.runDueRetries();

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id]);
  });

  it('drops what it holds when the subscription is paused or deleted before the window ends', async () => {
    const paused = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/paused`, quietHours });
    const deleted = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/deleted`, quietHours });
    setClock('2026-01-14T21:00:00Z');
    const event = h.event();
    await h.service.deliverEvent(event);
    await h.subscriptions.update('team-a', paused.id, { pausedAt: h.now().toISOString() });
    await h.subscriptions.delete('team-a', deleted.id);

    setClock('2026-01-15T07:00:00Z');
    await h.runDueRetries();

    expect(receiver.received).toEqual([]);
    // Paused: skipped, neither success nor failure, never offered for retry (issue #23's state); deleted: abandoned.
    expect((await h.deliveries.get(paused.id, event.id))?.status).toBe('skipped');
    expect((await h.deliveries.get(deleted.id, event.id))?.status).toBe('abandoned');
  });
});

describe('what holding costs in DynamoDB', () => {
  /** DynamoDB calls by command, from a client of its own on the same local server. */
  async function countingHarness() {
    const client = localDynamoClient(dynamo.endpoint);
    const calls: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    }, { step: 'initialize' });
    const harness = await deliveryHarness({ ...dynamo, client });
    return { harness, calls, close: () => client.destroy() };
  }
  const writes = (calls: string[]) => calls.filter((call) => ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(call));

  it('a held event costs the writes of one delivered at once, and one read per wake-up', async () => {
    const counting = await countingHarness();
    try {
      const { harness: c, calls } = counting;
      const now = await c.subscribe({ channel: 'webhook', url: `${receiver.url}/now` });
      c.advance(Date.parse('2026-01-15T12:00:00Z') - c.now().getTime());
      calls.length = 0;
      await c.service.deliverEvent(c.event(), async () => [now]);
      const immediate = [...calls];

      const held = await c.subscribe({ channel: 'webhook', url: `${receiver.url}/held`, quietHours });
      c.advance(Date.parse('2026-01-15T21:00:00Z') - c.now().getTime());
      calls.length = 0;
      await c.service.deliverEvent(c.event(), async () => [held]);
      const holding = [...calls];
      calls.length = 0;
      c.advance(10 * 3_600_000);
      await c.runDueRetries();
      const release = [...calls];

      // At once: the record, the lease, its state, the attempt log, the counters.
      expect(immediate).toEqual(['PutItem', 'UpdateItem', 'UpdateItem', 'PutItem', 'UpdateItem']);
      // Held: the record, written due at the window's end; nothing else until then.
      expect(holding).toEqual(['PutItem']);
      // At the end: one read of the record and one of the subscription, then the same four writes.
      expect(release).toEqual(['GetItem', 'GetItem', 'UpdateItem', 'UpdateItem', 'PutItem', 'UpdateItem']);
      expect(writes(holding).length + writes(release).length).toBe(writes(immediate).length);
    } finally {
      counting.close();
    }
  });
});
