import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { watchKey } from '../../lambdas/adapters/dynamo/watch-item';
import { newSweepIndex, pollWatches } from '../../lambdas/domain/poll-watches';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';
import { summaryWith as summary } from '../support/summary';

/**
 * The poll's rare paths, each with what an operator sees of it (summary and
 * log lines) and what a subscriber gets (events, once): a tick cut off by its
 * deadline, stores that fail half-way, a rival poller, list requests that
 * fail, and where a sweep leaves its high-water mark when a moved dataset's
 * poll does not finish. Against the DynamoDB protocol server and the
 * upstream simulator.
 */
let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let h: PollerHarness;

const SWEEPS = { fullRefreshSeconds: 3600, overlapSeconds: 0 };

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  simulator.datasets.clear();
  simulator.corrections.clear();
  simulator.clearFaults();
  h = await pollerHarness(dynamo, simulator, { timeoutMs: 300 });
});
afterEach(() => h.dispose());

async function sweepingHarness(): Promise<PollerHarness> {
  h.dispose();
  h = await pollerHarness(dynamo, simulator, { timeoutMs: 300, sweeps: SWEEPS });
  return h;
}

const logged = (level: 'info' | 'warn' | 'error') => h.logger.at(level).map((l) => [l.message, l.extra]);
const CUT_OFF = 'tick deadline reached; the watches not started are polled next tick';

describe('a tick cut off by its deadline', () => {
  it('warns once, with how many watches it reached; a tick that finishes does not', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });

    const finished = await h.poll();
    const finishedLogs = logged('warn');
    const cut = await pollWatches(h.deps, new Date('2026-11-23T12:00:00Z'), { signal: AbortSignal.abort() });

    expect(finished.cutOff).toBe(false);
    expect(finishedLogs).toEqual([]);
    expect(cut).toEqual(summary({ cutOff: true }));
    expect(logged('warn')).toEqual([[CUT_OFF, { polled: 0 }]]);
  });

  it('in sweep mode too: no watch started, the refresh clock not moved', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    const before = await h.pollStore.readSweepState();

    const cut = await pollWatches(h.deps, new Date('2026-11-23T12:00:00Z'), { signal: AbortSignal.abort() });

    // Its list request is abandoned too; that is the cut-off, not a fallback to single GETs.
    expect(cut).toMatchObject({ cutOff: true, watches: 0, unchanged: 0, listFallbacks: 0 });
    expect(logged('warn')).toEqual([[CUT_OFF, { polled: 0 }]]);
    expect((await h.pollStore.readSweepState()).lastSweepAt).toBe(before.lastSweepAt);
  });
});

describe('a store that fails half-way through a poll', () => {
  it('counts a drained watch whose retirement failed as failed, names it, and retires it next tick', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.datasets.delete('ds_1');
    await h.poll(); // gone: its event published, its outbox drained
    h.failDynamo((command, input) => (command === 'UpdateItem' && input.UpdateExpression === 'REMOVE #pollShard' ? new Error('store unavailable') : undefined));

    const failed = await h.poll();
    h.failDynamo(undefined);
    const retired = await h.poll();
    const after = await h.poll();

    expect(failed).toEqual(summary({ watches: 1, unchanged: 1, failed: 1 }));
    expect(logged('error')).toEqual([['poll of watch failed', { watchId: watch.watchId, error: 'store unavailable' }]]);
    expect(retired).toEqual(summary({ watches: 1, unchanged: 1 }));
    expect(after).toEqual(summary({}));
  });

  it('counts a poll that failed upstream and then at the store once, and sends nothing when the store takes neither write', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 500 });
    h.failDynamo((command) => (command === 'UpdateItem' ? new Error('store unavailable') : undefined));

    const tick = await h.poll();

    expect(tick).toEqual(summary({ watches: 1, failed: 1, failuresByKind: { unavailable: 1, store: 1 }, requests: { get: 1 } }));
    expect(logged('error')).toEqual([
      ['poll of watch failed at the store', { watchId: watch.watchId, error: 'store unavailable' }],
      ['could not record the store failure either', { watchId: watch.watchId, error: 'store unavailable' }],
    ]);
    expect(logged('warn')).toEqual([
      ['fetch failed', { watchId: watch.watchId, resource: 'datasets/ds_1', kind: 'unavailable', error: 'datasets/ds_1: upstream answered 500', consecutiveFailures: 1 }],
    ]);
    expect(h.sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
  });

  it('records what the store said on the watch when only the change’s own write was refused', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    h.failDynamo((command, input) => {
      const values = input.ExpressionAttributeValues as Record<string, { NULL?: boolean }> | undefined;
      return command === 'UpdateItem' && values?.[':lastError']?.NULL ? new Error('Item size has exceeded the maximum allowed size') : undefined;
    });

    const tick = await h.poll();

    expect(tick).toEqual(summary({ watches: 1, failed: 1, failuresByKind: { store: 1 }, requests: { get: 1 } }));
    expect((await h.store.getWatch(watch.watchId))?.lastError).toMatchObject({
      kind: 'store',
      message: 'could not record the poll: Item size has exceeded the maximum allowed size',
    });
  });

  it('logs published events it could not clear from the outbox, and the next tick sends them again under the same id', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    h.failDynamo((command, input) => (command === 'UpdateItem' && String(input.UpdateExpression).startsWith('REMOVE #outbox') ? new Error('store unavailable') : undefined));

    const tick = await h.poll();
    h.failDynamo(undefined);
    await h.poll();

    expect(tick).toMatchObject({ changed: 1, eventsPublished: 1, eventsPending: 0 });
    expect(logged('error')).toEqual([['could not clear published events from the outbox', { watchId: watch.watchId, error: 'store unavailable' }]]);
    const ids = h.published().map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
    expect((await h.store.getWatch(watch.watchId))?.outbox).toEqual([]);
  });

  it('says why history could not be written', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    h.failDynamo((command) => (command === 'BatchWriteItem' ? new Error('throttled') : undefined));

    await h.poll();

    expect(logged('error')).toEqual([['could not record event history; events stay in the outbox', { error: 'throttled' }]]);
  });

  it('publishes nothing, and writes no history, in a tick that owes no event', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    const publishes = h.sns.commandCalls(PublishBatchCommand).length;
    h.dynamoCalls.length = 0;

    const quiet = await h.poll();

    expect(quiet).toEqual(summary({ watches: 1, unchanged: 1, requests: { get: 1 } }));
    expect(h.sns.commandCalls(PublishBatchCommand)).toHaveLength(publishes);
    expect(h.dynamoCalls).not.toContain('BatchWriteItem');
  });
});

describe('a rival that moved a watch on between its read and its write', () => {
  /** Runs `rival` while this poller waits for the upstream: its write lands between this poll's read and its commit. */
  function rivalDuringFetch(rival: () => Promise<unknown>): void {
    const fetcher = h.deps.fetcher;
    h.deps.fetcher = {
      fetchState: async (resource, options) => {
        await rival();
        return fetcher.fetchState(resource, options);
      },
    } as typeof fetcher;
  }

  it('that recorded the transition is left it: counted as a conflict, decided again from the item, nothing published by this tick', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    const rivalDeps = { ...h.deps };
    rivalDuringFetch(() => pollWatches(rivalDeps, new Date('2026-11-23T12:00:00Z')));

    const tick = await h.poll();

    expect(tick).toEqual(summary({ watches: 1, unchanged: 1, conflicts: 1, requests: { get: 1 } }));
    expect(logged('info')).toEqual([['watch changed under us; deciding again from its item', { watchId: watch.watchId }]]);
    // The rival's event, once; none from this tick.
    expect(h.published().filter((e) => e.data.changes.length > 0).map((e) => e.sequence)).toEqual(['2']);
  });

  it('that took a version without the transition leaves it to this tick: decided again from the item and published once, at the next version', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    rivalDuringFetch(() =>
      dynamo.client.send(
        new UpdateItemCommand({ TableName: h.tableName, Key: watchKey(watch.watchId), UpdateExpression: 'SET #version = #version + :one', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':one': { N: '1' } } }),
      ),
    );

    const tick = await h.poll();

    expect(tick).toEqual(summary({ watches: 1, changed: 1, conflicts: 1, eventsPublished: 1, requests: { get: 1 } }));
    expect(logged('info')).toEqual([['watch changed under us; deciding again from its item', { watchId: watch.watchId }]]);
    expect(h.published().map((e) => [e.sequence, e.data.changes[0]?.to])).toEqual([['3', 'succeeded']]);
    expect((await h.store.getWatch(watch.watchId))?.version).toBe(3);
  });

  it('that keeps moving it on even while the item decides again: skipped, counted once, nothing published', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    const bump = new UpdateItemCommand({ TableName: h.tableName, Key: watchKey(watch.watchId), UpdateExpression: 'SET #version = #version + :one', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':one': { N: '1' } } });
    rivalDuringFetch(() => dynamo.client.send(bump));
    // Every consistent read of the item is followed by another rival write.
    const read = h.pollStore.readIndexedWatch.bind(h.pollStore);
    h.pollStore.readIndexedWatch = async (watchId) => {
      const item = await read(watchId);
      await dynamo.client.send(bump);
      return item;
    };

    const tick = await h.poll();

    expect(tick).toEqual(summary({ watches: 1, conflicts: 1, requests: { get: 1 } }));
    expect(logged('info')).toEqual([
      ['watch changed under us; deciding again from its item', { watchId: watch.watchId }],
      ['watch changed under us; skipped', { watchId: watch.watchId }],
    ]);
    expect(h.published()).toEqual([]);
  });
});

describe('sweeps', () => {
  it('pins a quiet sweep’s summary: one list request, every watch swept unchanged', async () => {
    await sweepingHarness();
    for (const id of ['ds_1', 'ds_2']) {
      simulator.putDataset(id, { status: 'running' });
      await h.watch({ type: 'dataset', datasetId: id });
    }
    await h.poll();
    await h.poll();

    const quiet = await h.poll();

    expect(quiet).toEqual(summary({ watches: 2, unchanged: 2, sweptUnchanged: 2, requests: { datasetList: 1 } }));
    expect(logged('warn')).toEqual([]);
    expect(logged('info')).toEqual([]);
  });

  it('names each list request that failed, and counts it as one request', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running' });
    for (const id of [1, 2]) simulator.putCorrection(7, id, { status: 'SAMPLING' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    for (const correctionId of [1, 2]) await h.watch({ type: 'correction_session', projectId: 7, correctionId });
    await h.poll();
    simulator.addFault({ path: '/api/v1/datasets', exact: true, status: 500 });
    simulator.addFault({ path: '/projects/7/corrections', exact: true, status: 500 });

    const tick = await h.poll();

    expect(tick).toMatchObject({ listFallbacks: 2, requests: { get: 3, projectList: 1, datasetList: 1 } });
    const fallbacks = h.logger.at('warn').filter((l) => l.message === 'list requests failed this tick; their watches were fetched one by one');
    expect(fallbacks.map((l) => (l.extra.fallbacks as string[]).sort())).toEqual([['datasets list: upstream answered 500', 'projects/7/corrections: upstream answered 500']]);
  });

  it('asks no list for a watch that is only draining its outbox', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    h.failNextPublish(1);
    await h.poll(); // the change stays in the outbox
    // Paused while it still owes the event: it stays in the poll index until the event is sent.
    await h.store.updateSettings('team-a', watch.watchId, { paused: true });

    const draining = await h.poll();

    expect(draining).toEqual(summary({ watches: 1, unchanged: 1, eventsPublished: 1 }));
    expect(h.published().map((e) => e.data.changes[0]?.to)).toEqual(['succeeded', 'succeeded']);
  });

  it('fetches every dataset by itself while it has no mark, even once its list answers (without a mark it reads only the list’s first page)', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running', updated_at: '2026-11-23T09:00:00.000Z' });
    simulator.putDataset('ds_2', { status: 'running', updated_at: '2026-11-23T09:00:00.000Z' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.watch({ type: 'dataset', datasetId: 'ds_2' });
    // The first sweep's list fails: every dataset by its GET, and no mark to sweep from.
    simulator.addFault({ path: '/api/v1/datasets', exact: true, status: 500 });
    await h.poll();
    simulator.clearFaults();
    const state = await h.pollStore.readSweepState();
    // ds_1 moved, but a hundred datasets nobody watches moved since: ds_1 is not on the first page (100 entries).
    simulator.putDataset('ds_1', { status: 'succeeded', updated_at: '2026-11-23T09:30:00.000Z' });
    for (let n = 0; n < 100; n++) simulator.putDataset(`ds_other_${n}`, { status: 'running', updated_at: '2026-11-23T09:45:00.000Z' });

    const second = await h.poll();

    // The refresh clock started at the first sweep, so no periodic refresh fetches them here either.
    expect(state).toMatchObject({ datasetHighWaterMark: null, lastSweepAt: expect.any(String) });
    expect(second).toMatchObject({ listFallbacks: 0, requests: { get: 2, projectList: 0, datasetList: 1 } });
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`)).toEqual(['datasets/ds_1 succeeded']);
  });

  it('re-reads, in the next sweep of an invocation, each watch an earlier one drained or retired: nothing is sent or retired twice', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_owed', { status: 'running' });
    simulator.putDataset('ds_paused', { status: 'running' });
    const owed = await h.watch({ type: 'dataset', datasetId: 'ds_owed' });
    const paused = await h.watch({ type: 'dataset', datasetId: 'ds_paused' });
    await h.poll();
    simulator.putDataset('ds_owed', { status: 'succeeded' });
    simulator.putDataset('ds_paused', { status: 'succeeded' });
    h.failNextPublish(1);
    await h.poll(); // both changes stay in their outboxes
    await h.store.updateSettings('team-a', paused.watchId, { paused: true });
    const index = newSweepIndex();

    const sweeps = [];
    for (const at of ['2026-11-23T11:00:00Z', '2026-11-23T11:01:00Z', '2026-11-23T11:02:00Z']) sweeps.push(await pollWatches(h.deps, new Date(at), { index }));

    // One: both outboxes sent. Two: both re-read, the paused one retired. Three: the paused one re-read, and gone from the index.
    expect(sweeps.map((s) => [s.watches, s.eventsPublished])).toEqual([
      [2, 2],
      [2, 0],
      [1, 0],
    ]);
    expect(h.published().map((e) => e.data.watchId).sort()).toEqual([owed.watchId, owed.watchId, paused.watchId, paused.watchId].sort());
    expect(new Set(h.published().map((e) => e.id)).size).toBe(2);
  });
});

describe('where a sweep leaves its high-water mark when a moved dataset’s poll does not finish', () => {
  /**
   * ds_early (recorded fine) moved at 10:05, ds_late at 10:06, and ds_late's
   * poll fails: the mark must stay 1 ms below ds_late, so the next sweep
   * lists it again; not at 10:06 (ds_late would be lost), not below ds_early
   * (done work listed again).
   */
  async function moveBothThenPoll(failLate: (lateKey: string) => void): Promise<string | null> {
    await sweepingHarness();
    simulator.putDataset('ds_early', { status: 'running', updated_at: '2026-11-23T10:00:00.000Z' });
    simulator.putDataset('ds_late', { status: 'running', updated_at: '2026-11-23T10:00:00.000Z' });
    await h.watch({ type: 'dataset', datasetId: 'ds_early' });
    const late = await h.watch({ type: 'dataset', datasetId: 'ds_late' });
    await h.poll();
    await h.poll();
    simulator.putDataset('ds_early', { status: 'succeeded', updated_at: '2026-11-23T10:05:00.000Z' });
    simulator.putDataset('ds_late', { status: 'succeeded', updated_at: '2026-11-23T10:06:00.000Z' });
    failLate(`WATCH#${late.watchId}`);
    await h.poll();
    return (await h.pollStore.readSweepState()).datasetHighWaterMark;
  }

  it('when its GET failed', async () => {
    const mark = await moveBothThenPoll(() => simulator.addFault({ path: '/api/v1/datasets/ds_late', status: 500 }));

    expect(mark).toBe('2026-11-23T10:05:59.999Z');
    simulator.clearFaults();
    await h.poll();
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`).sort()).toEqual(['datasets/ds_early succeeded', 'datasets/ds_late succeeded']);
  });

  it('when its write failed', async () => {
    const mark = await moveBothThenPoll((lateKey) =>
      h.failDynamo((command, input) => (command === 'UpdateItem' && JSON.stringify(input.Key).includes(lateKey) ? new Error('store unavailable') : undefined)),
    );

    expect(mark).toBe('2026-11-23T10:05:59.999Z');
  });
});

describe('saving the sweep state', () => {
  it('keeps a rival’s state when the rival saved first, and says so', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    const { version } = await h.pollStore.readSweepState();
    h.failDynamo((command) => (command === 'PutItem' ? new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }) : undefined));

    const tick = await h.poll();

    expect(tick.failed).toBe(0);
    expect(logged('info')).toEqual([['another poller saved the sweep state first; keeping theirs', { version }]]);
    expect(logged('error')).toEqual([]);
  });

  it('logs a failed save and finishes the tick: the next sweep looks at the same changes again', async () => {
    await sweepingHarness();
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    const before = await h.pollStore.readSweepState();
    h.failDynamo((command) => (command === 'PutItem' ? new Error('store unavailable') : undefined));

    const tick = await h.poll();
    h.failDynamo(undefined);

    expect(tick).toMatchObject({ watches: 1, failed: 0 });
    expect(logged('error')).toEqual([['could not save the sweep state', { error: 'store unavailable' }]]);
    expect(await h.pollStore.readSweepState()).toEqual(before);
  });
});
