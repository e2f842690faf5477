import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeliveryStore, legacyResult, type AttemptLog, type AttemptResult, type DeliveryRecord } from '../../lambdas/adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { LATENCY_EDGES_MS } from '../../lambdas/domain/delivery-figures';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

/** The delivery store on the DynamoDB protocol server: records, attempts, counters, what is due. */
let dynamo: LocalDynamo;
let tableName: string;
let deliveries: DeliveryStore;
let subscriptions: SubscriptionStore;
const NOW = new Date('2026-11-24T10:00:00Z');
const event = (version: number) =>
  buildWatchEvent({ watch: { watchId: 'w_1', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'ds_1' } }, version, time: NOW, type: EVENT_TYPES.gone, previous: null, current: null });
const record = (version: number, fields: Partial<DeliveryRecord> = {}): DeliveryRecord => {
  const e = event(version);
  return { team: 'team-a', subscriptionId: 'sub_1', eventId: e.id, event: e, status: 'pending', attempts: 0, nextAttemptAt: NOW.toISOString(), createdAt: NOW.toISOString(), ...fields };
};
const log = (statusCode: number | null, at = NOW, result: AttemptResult = statusCode !== null && statusCode < 300 ? 'delivered' : 'failed'): AttemptLog => ({
  at: at.toISOString(),
  eventId: 'evt_x',
  attempt: 1,
  result,
  statusCode,
  latencyMs: 3,
  error: result === 'delivered' ? null : 'refused',
  watchId: 'w_1',
  summary: 'Run finished (running → succeeded)',
});

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  tableName = await dynamo.newTable();
  deliveries = new DeliveryStore(dynamo.client, tableName);
  subscriptions = new SubscriptionStore(dynamo.client, tableName);
  await subscriptions.put({ id: 'sub_1', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/x', filter: null, status: 'active', createdAt: NOW.toISOString() });
});

describe('delivery records', () => {
  it('creates a record once, and hands back the one that stands to a second create', async () => {
    const first = await deliveries.createIfAbsent(record(1), NOW);
    const again = await deliveries.createIfAbsent(record(1, { attempts: 5, status: 'dead' }), NOW);

    expect(first).toEqual({ record: record(1), created: true });
    expect(again).toEqual({ record: record(1), created: false });
  });

  it('passes on a store error that is not a lost race', async () => {
    const broken = new DeliveryStore(localDynamoClient(dynamo.endpoint), 'no-such-table');

    await expect(broken.createIfAbsent(record(1), NOW)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(broken.claim(record(1), NOW, NOW)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('lets a record expire 30 days after it was written, by default', async () => {
    await deliveries.createIfAbsent(record(1), NOW);
    const short = new DeliveryStore(dynamo.client, tableName, 2);
    await short.createIfAbsent(record(2), NOW);

    const expiry = async (version: number) => {
      const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: 'SUB#sub_1', sk: `DELIVERY#${event(version).id}` }) }));
      return unmarshall(Item!).expiresAt;
    };
    expect(await expiry(1)).toBe(NOW.getTime() / 1000 + 30 * 86_400);
    expect(await expiry(2)).toBe(NOW.getTime() / 1000 + 2 * 86_400);
  });

  it('gives an attempt to one claimant only, and none once it is not due', async () => {
    await deliveries.createIfAbsent(record(1), NOW);
    const until = new Date(NOW.getTime() + 60_000);

    const claims = await Promise.all(Array.from({ length: 5 }, () => deliveries.claim(record(1), NOW, until)));
    const notDue = await deliveries.claim(record(2), NOW, until);

    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(notDue).toBe(false);
  });
});

describe('attempt counters', () => {
  it.each([
    ['a webhook answered 204', 204, 'delivered' as const, true],
    ['a mail handed on, with no HTTP answer', null, 'delivered' as const, true],
    ['a webhook answered 500', 500, 'failed' as const, false],
    ['a refused connection', null, 'failed' as const, false],
    ['a 2xx the channel judged a failure (Slack’s 200 "invalid_payload")', 200, 'failed' as const, false],
  ])('counts %s by its result, not its status code', async (_what, statusCode, result, succeeded) => {
    const run = await deliveries.logAttempt('team-a', 'sub_1', log(statusCode, NOW, result), NOW);

    const stored = await subscriptions.get('team-a', 'sub_1');
    expect(run).toEqual({ failingSince: succeeded ? null : NOW.toISOString() });
    expect([stored?.deliveredCount ?? 0, stored?.failedCount ?? 0]).toEqual(succeeded ? [1, 0] : [0, 1]);
    expect(stored?.lastSuccessAt).toBe(succeeded ? NOW.toISOString() : undefined);
    expect(stored?.lastFailureAt).toBe(succeeded ? undefined : NOW.toISOString());
    expect(await deliveries.recentAttempts('sub_1')).toEqual([log(statusCode, NOW, result)]);
  });

  it('logs a skipped attempt and counts it nowhere: a run of failures goes on through it, and is not started by it', async () => {
    const earlier = new Date(NOW.getTime() - 60_000);
    const later = new Date(NOW.getTime() + 60_000);

    const alone = await deliveries.logAttempt('team-a', 'sub_1', log(null, earlier, 'skipped'), earlier);
    const untouched = await subscriptions.get('team-a', 'sub_1');
    await deliveries.logAttempt('team-a', 'sub_1', log(500, NOW), NOW);
    await deliveries.logAttempt('team-a', 'sub_1', log(null, later, 'skipped'), later);

    const stored = await subscriptions.get('team-a', 'sub_1');
    expect(alone).toEqual({ failingSince: null });
    expect(untouched).toEqual({ id: 'sub_1', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/x', filter: null, status: 'active', createdAt: NOW.toISOString() });
    expect(stored).toMatchObject({ failedCount: 1, failingSince: NOW.toISOString(), lastFailureAt: NOW.toISOString() });
    expect(stored?.deliveredCount).toBeUndefined();
    expect((await deliveries.recentAttempts('sub_1')).map((a) => a.result)).toEqual(['skipped', 'failed', 'skipped']);
  });

  it('reads an attempt logged before results were kept by its answer: a 2xx, or no answer and no error, was delivered', async () => {
    await dynamo.client.send(
      new PutItemCommand({ TableName: tableName, Item: marshall({ pk: 'SUB#sub_1', sk: `ATTEMPT#${NOW.toISOString()}#evt_old#1`, at: NOW.toISOString(), eventId: 'evt_old', attempt: 1, statusCode: null, latencyMs: 2, error: null }) }),
    );

    expect(await deliveries.recentAttempts('sub_1')).toEqual([{ at: NOW.toISOString(), eventId: 'evt_old', attempt: 1, result: 'delivered', statusCode: null, latencyMs: 2, error: null, watchId: null, summary: null }]);
  });

  it.each([
    [200, null, 'delivered'],
    [299, null, 'delivered'],
    [199, null, 'failed'],
    [300, null, 'failed'],
    [500, 'receiver answered 500', 'failed'],
    [null, null, 'delivered'],
    [null, 'connection refused', 'failed'],
  ] as const)('reads a legacy attempt answered %s with error %s as %s', (statusCode, error, result) => {
    expect(legacyResult(statusCode, error)).toBe(result);
  });

  it('keeps the start of a run of failures, and forgets it after a success', async () => {
    const later = new Date(NOW.getTime() + 3_600_000);

    await deliveries.logAttempt('team-a', 'sub_1', log(500), NOW);
    const run = await deliveries.logAttempt('team-a', 'sub_1', log(500, later), later);
    const ended = await deliveries.logAttempt('team-a', 'sub_1', log(204, later), later);

    expect(run).toEqual({ failingSince: NOW.toISOString() });
    expect(ended).toEqual({ failingSince: null });
  });

  it('counts nothing, and creates nothing, for a subscription deleted meanwhile', async () => {
    await subscriptions.delete('team-a', 'sub_1');

    expect(await deliveries.logAttempt('team-a', 'sub_1', log(500), NOW)).toEqual({ failingSince: null });
    expect(await subscriptions.get('team-a', 'sub_1')).toBeUndefined();
  });
});

describe('hourly delivery buckets (the last 24 h figures)', () => {
  const at = (hours: number, minutes = 0) => new Date(NOW.getTime() + hours * 3_600_000 + minutes * 60_000);
  const attempt = (when: Date, result: AttemptResult, latencyMs: number, statusCode: number | null = result === 'delivered' ? 200 : 500): AttemptLog => ({
    at: when.toISOString(),
    eventId: `evt_${when.getTime()}_${latencyMs}`,
    attempt: 1,
    result,
    statusCode,
    latencyMs,
    error: result === 'delivered' ? null : 'x',
  });
  const hours = async () => (await subscriptions.get('team-a', 'sub_1'))?.deliveryHours;
  const bins = (fill: Record<number, number>) => Array.from({ length: LATENCY_EDGES_MS.length + 1 }, (_, index) => fill[index] ?? 0);

  it('counts each attempt into its hour’s bucket: results, and latency by bin for what reached the receiver', async () => {
    const hour = Math.floor(NOW.getTime() / 3_600_000);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0, 1), 'delivered', 8), NOW);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0, 2), 'delivered', 400), NOW);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0, 3), 'failed', 90), NOW);
    // A refused connection: failed, with no answer and no latency worth counting.
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0, 4), 'failed', 0, null), NOW);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(1, 0), 'delivered', 40_000), NOW);

    expect(await hours()).toEqual([
      { hour, delivered: 2, failed: 2, latency: bins({ 0: 1, 3: 1, 5: 1 }) },
      { hour: hour + 1, delivered: 1, failed: 0, latency: bins({ [LATENCY_EDGES_MS.length]: 1 }) },
    ]);
    expect(await subscriptions.get('team-a', 'sub_1')).toMatchObject({ deliveredCount: 3, failedCount: 2 });
  });

  it('starts a bucket afresh when its slot comes round a day later, and keeps only the totals for an attempt logged after its slot moved on', async () => {
    const hour = Math.floor(NOW.getTime() / 3_600_000);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0), 'failed', 30), NOW);
    await deliveries.logAttempt('team-a', 'sub_1', attempt(at(24), 'delivered', 30), NOW);
    const late = await deliveries.logAttempt('team-a', 'sub_1', attempt(at(0, 30), 'failed', 30), NOW);

    expect(await hours()).toEqual([{ hour: hour + 24, delivered: 1, failed: 0, latency: bins({ 2: 1 }) }]);
    expect(late).toEqual({ failingSince: at(0, 30).toISOString() });
    expect(await subscriptions.get('team-a', 'sub_1')).toMatchObject({ deliveredCount: 1, failedCount: 2 });
  });

  it('costs one write per attempt once a process knows the hour’s bucket, and two for a process that meets one already begun', async () => {
    const client = localDynamoClient(dynamo.endpoint);
    const updates: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      if (context.commandName === 'UpdateItemCommand') updates.push('UpdateItem');
      return next(args);
    }, { step: 'initialize' });
    try {
      const counted = new DeliveryStore(client, tableName);
      await counted.logAttempt('team-a', 'sub_1', attempt(at(0, 1), 'delivered', 5), NOW);
      await counted.logAttempt('team-a', 'sub_1', attempt(at(0, 2), 'delivered', 5), NOW);
      const oneProcess = updates.length;
      const other = new DeliveryStore(client, tableName);
      await other.logAttempt('team-a', 'sub_1', attempt(at(0, 3), 'delivered', 5), NOW);
      await other.logAttempt('team-a', 'sub_1', attempt(at(0, 4), 'delivered', 5), NOW);

      expect(oneProcess).toBe(2);
      expect(updates.length - oneProcess).toBe(3);
      expect((await hours())?.[0]).toMatchObject({ delivered: 4 });
    } finally {
      client.destroy();
    }
  });

  it('counts every one of many attempts logged at once into the same new bucket', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, index) => deliveries.logAttempt('team-a', 'sub_1', { ...attempt(at(0, index), 'delivered', 20), eventId: `evt_${index}` }, NOW)));

    expect(await hours()).toEqual([{ hour: Math.floor(NOW.getTime() / 3_600_000), delivered: 12, failed: 0, latency: bins({ 1: 12 }) }]);
  });
});

describe('what waits', () => {
  it('names the earliest retry due among deliveries already tried, ignoring first attempts and finished ones', async () => {
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
    await deliveries.createIfAbsent(record(1, { attempts: 2, nextAttemptAt: at(30) }), NOW);
    await deliveries.createIfAbsent(record(2, { attempts: 1, nextAttemptAt: at(5) }), NOW);
    await deliveries.createIfAbsent(record(3, { attempts: 1, nextAttemptAt: at(10) }), NOW);
    await deliveries.createIfAbsent(record(4, { attempts: 0, nextAttemptAt: at(1) }), NOW);
    await deliveries.createIfAbsent(record(5, { attempts: 3, status: 'dead', nextAttemptAt: at(2) }), NOW);

    expect(await deliveries.nextRetryAt('sub_1')).toBe(at(5));
    expect(await deliveries.nextRetryAt('sub_other')).toBeNull();
  });

  it('lists pending deliveries due by now, up to the limit, for the local retry loop', async () => {
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();
    await deliveries.createIfAbsent(record(1, { nextAttemptAt: at(-5) }), NOW);
    await deliveries.createIfAbsent(record(2, { nextAttemptAt: at(0) }), NOW);
    await deliveries.createIfAbsent(record(3, { nextAttemptAt: at(1) }), NOW);
    await deliveries.createIfAbsent(record(4, { nextAttemptAt: at(-1), status: 'delivered' }), NOW);

    const due = await deliveries.due(NOW);
    const limited = await deliveries.due(NOW, 1);

    expect(due.map((d) => d.eventId).sort()).toEqual([event(1).id, event(2).id].sort());
    expect(due.find((d) => d.eventId === event(1).id)).toEqual(record(1, { nextAttemptAt: at(-5) }));
    expect(limited).toHaveLength(1);
  });
});
