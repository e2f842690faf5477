import { DynamoDBClient, GetItemCommand, QueryCommand, type BatchWriteItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { createWatch, watchIdFor, type Watch } from '../../lambdas/domain/watch';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const NOW = new Date('2026-11-24T10:00:00Z');
const snapshot = { status: 'running', grade: null, score: null, progressPercent: null, details: {} };

/** A client whose calls of one command fail with a throttle, as DynamoDB answers under load. */
function throttledClient(command: string): DynamoDBClient {
  const client = localDynamoClient(dynamo.endpoint);
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === `${command}Command`) {
        return Promise.reject(Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' }));
      }
      return next(args);
    },
    { step: 'initialize', name: 'throttle' },
  );
  return client;
}

/**
 * A client on which DynamoDB takes only the first `taken` items of each batch
 * write and hands the rest back as UnprocessedItems, as it does when a
 * partition is throttled. Records how many items each batch write carried.
 */
function partialBatchClient(taken: number, sizes: number[]): DynamoDBClient {
  const client = localDynamoClient(dynamo.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand') return next(args);
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0]!;
      sizes.push(requests.length);
      const rest = requests.slice(taken);
      if (taken > 0) await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, taken) } } });
      return { output: { $metadata: {}, UnprocessedItems: rest.length > 0 ? { [table]: rest } : {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'partialBatch' },
  );
  return client;
}

async function arrange(): Promise<{ tableName: string; watches: WatchStore; polls: DynamoPollStore; watch: Watch }> {
  const tableName = await dynamo.newTable();
  const watches = new WatchStore({ client: dynamo.client, tableName });
  const resource = { type: 'dataset' as const, datasetId: 'ds_1' };
  const { watch } = await watches.registerWatch({ ...createWatch({ watchId: watchIdFor('team-a', resource), team: 'team-a', resource }, NOW), snapshot });
  return { tableName, watches, polls: new DynamoPollStore({ client: dynamo.client, tableName }), watch };
}

describe('event history', () => {
  it('records more events than one batch write takes (26), every one of them', async () => {
    const { watches, polls, watch } = await arrange();
    const events = Array.from({ length: 26 }, (_, i) =>
      buildWatchEvent({ watch, version: i + 1, time: new Date(NOW.getTime() + i * 1000), type: EVENT_TYPES.changed, previous: snapshot, current: snapshot }),
    );

    await polls.recordHistory(events, NOW);

    const first = await watches.listEvents(watch.watchId, 20);
    const second = await watches.listEvents(watch.watchId, 20, first.nextCursor ?? undefined);
    expect([...first.items, ...second.items].map((e) => e.sequence)).toEqual(Array.from({ length: 26 }, (_, i) => String(26 - i)));
  });

  it('sends the items a batch write handed back unprocessed again until every event is recorded', async () => {
    const { tableName, watches, watch } = await arrange();
    const sizes: number[] = [];
    const polls = new DynamoPollStore({ client: partialBatchClient(4, sizes), tableName, batchRetryBaseMs: 1 });
    const events = Array.from({ length: 10 }, (_, i) =>
      buildWatchEvent({ watch, version: i + 1, time: new Date(NOW.getTime() + i * 1000), type: EVENT_TYPES.changed, previous: snapshot, current: snapshot }),
    );

    await polls.recordHistory(events, NOW);

    expect(sizes).toEqual([10, 6, 2]);
    expect((await watches.listEvents(watch.watchId, 20)).items.map((e) => e.sequence)).toEqual(Array.from({ length: 10 }, (_, i) => String(10 - i)));
  });

  it('gives up after five attempts at a batch that stays unprocessed, saying how many writes are left', async () => {
    const { tableName, watch } = await arrange();
    const sizes: number[] = [];
    const polls = new DynamoPollStore({ client: partialBatchClient(0, sizes), tableName, batchRetryBaseMs: 1 });
    const event = buildWatchEvent({ watch, version: 1, time: NOW, type: EVENT_TYPES.changed, previous: snapshot, current: snapshot });

    await expect(polls.recordHistory([event, { ...event, id: 'evt_other' }], NOW)).rejects.toThrow('2 history writes still unprocessed after 5 attempts');
    expect(sizes).toEqual([2, 2, 2, 2, 2]);
  });

  it('lets history expire 90 days after it was recorded (by default), through the table’s TTL attribute', async () => {
    const { tableName, watch } = await arrange();
    const polls = new DynamoPollStore({ client: dynamo.client, tableName, historyDays: 7 });
    const event = buildWatchEvent({ watch, version: 1, time: NOW, type: EVENT_TYPES.changed, previous: snapshot, current: snapshot });

    await polls.recordHistory([event], NOW);
    await new DynamoPollStore({ client: dynamo.client, tableName }).recordHistory([{ ...event, id: 'evt_other', time: '2026-11-24T10:00:01.000Z' }], NOW);

    const { Items } = await dynamo.client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)', ExpressionAttributeValues: marshall({ ':pk': `WATCH#${watch.watchId}`, ':e': 'EVENT#' }) }));
    const expiries = (Items ?? []).map((item) => unmarshall(item).expiresAt as number);
    const nowSeconds = NOW.getTime() / 1000;
    expect(expiries).toEqual([nowSeconds + 7 * 86_400, nowSeconds + 90 * 86_400]);
  });
});

describe('a DynamoDB error that is not a failed condition is never mistaken for one', () => {
  it('throws a throttled commit instead of reporting a lost race', async () => {
    const { tableName, watch } = await arrange();
    const polls = new DynamoPollStore({ client: throttledClient('UpdateItem'), tableName });
    const commit = { newVersion: watch.version + 1, snapshot, state: 'active' as const, consecutiveFailures: 0, lastError: null, lastPolledAt: NOW.toISOString(), enqueue: [] };

    await expect(polls.commit(watch.watchId, watch.version, commit)).rejects.toThrow('Rate of requests');
    await expect(polls.refresh(watch.watchId, watch.version, snapshot, NOW.toISOString())).rejects.toThrow('Rate of requests');
    await expect(polls.retire(watch.watchId, watch.version)).rejects.toThrow('Rate of requests');
  });

  it('throws a throttled delete instead of answering that the watch does not exist', async () => {
    const { tableName, watch } = await arrange();
    const watches = new WatchStore({ client: throttledClient('UpdateItem'), tableName });

    await expect(watches.deleteWatch('team-a', watch.watchId, NOW)).rejects.toThrow('Rate of requests');
    await expect(watches.updateSettings('team-a', watch.watchId, { paused: true })).rejects.toThrow('Rate of requests');
  });

  it('reports a version conflict as false, without throwing', async () => {
    const { polls, watch } = await arrange();
    const commit = { newVersion: watch.version + 1, snapshot, state: 'active' as const, consecutiveFailures: 0, lastError: null, lastPolledAt: NOW.toISOString(), enqueue: [] };

    expect(await polls.commit(watch.watchId, watch.version + 7, commit)).toBe(false);
    expect(await polls.commit(watch.watchId, watch.version, commit)).toBe(true);
  });
});

describe('watch settings', () => {
  it('never change another team’s watch', async () => {
    const { watches, watch } = await arrange();

    expect(await watches.updateSettings('team-b', watch.watchId, { paused: true, label: 'mine now' })).toBeUndefined();
    expect(await watches.deleteWatch('team-b', watch.watchId, NOW)).toBe(false);
    expect(await watches.getWatch(watch.watchId)).toMatchObject({ paused: false, label: null, team: 'team-a' });
  });

  it('keep both a settings change and a poll that committed while it was being made', async () => {
    const { tableName, watches, polls, watch } = await arrange();
    // The poll commits between the settings change's read and its write.
    let interposed = false;
    const client = localDynamoClient(dynamo.endpoint);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && !interposed) {
          interposed = true;
          const commit = { newVersion: watch.version + 1, snapshot: { ...snapshot, status: 'succeeded' }, state: 'active' as const, consecutiveFailures: 0, lastError: null, lastPolledAt: NOW.toISOString(), enqueue: [] };
          expect(await polls.commit(watch.watchId, watch.version, commit)).toBe(true);
        }
        return next(args);
      },
      { step: 'initialize', name: 'interpose' },
    );

    const updated = await new WatchStore({ client, tableName }).updateSettings('team-a', watch.watchId, { label: 'nightly', paused: true });

    const stored = await watches.getWatch(watch.watchId);
    expect(updated).toMatchObject({ label: 'nightly', paused: true, version: watch.version + 1 });
    expect(stored).toMatchObject({ label: 'nightly', paused: true, version: watch.version + 1, snapshot: { status: 'succeeded' } });
    const item = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: `WATCH#${watch.watchId}`, sk: 'WATCH' }) }));
    expect(unmarshall(item.Item!).pollShard).toBeUndefined();
  });

  it('put a resumed watch back in the poll index, and keep a paused one that still owes events there', async () => {
    const { tableName, watches, polls, watch } = await arrange();
    const owed = buildWatchEvent({ watch, version: watch.version + 1, time: NOW, type: EVENT_TYPES.changed, previous: snapshot, current: snapshot });
    await polls.commit(watch.watchId, watch.version, { newVersion: watch.version + 1, snapshot, state: 'active', consecutiveFailures: 0, lastError: null, lastPolledAt: NOW.toISOString(), enqueue: [owed] });
    const shard = async () => unmarshall((await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: `WATCH#${watch.watchId}`, sk: 'WATCH' }) }))).Item!).pollShard;

    await watches.updateSettings('team-a', watch.watchId, { paused: true });
    const whilePausedOwing = await shard();
    await polls.clearOutbox(watch.watchId, [owed.id]);
    await watches.updateSettings('team-a', watch.watchId, { paused: true });
    const pausedDrained = await shard();
    await watches.updateSettings('team-a', watch.watchId, { paused: false });
    const resumed = await shard();

    expect(whilePausedOwing).toBeDefined();
    expect(pausedDrained).toBeUndefined();
    expect(resumed).toBeDefined();
  });
});
