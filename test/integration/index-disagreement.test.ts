import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decidePoll } from '../../lambdas/domain/decide-poll';
import type { WatchEvent } from '../../lambdas/domain/events';
import type { Watch } from '../../lambdas/domain/watch';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';

/**
 * The poll index's copy of a watch disagreeing with its item, as issue #22
 * saw it: the embedded server (dynalite) writes an item's index entry before
 * the item, so a kill in between leaves the entry ahead of the item (session
 * 7/1056: index at version 1, STARTED, one event in its outbox; item at 0,
 * CREATED) and every later commit, conditional on the index's version,
 * failed; and a global secondary index in AWS lags behind its item.
 *
 * The store under test is the real one on dynalite, except that its index
 * Scan serves a chosen copy for one watch, as a torn or lagging index would,
 * until the watch's item is next written (dynalite then rewrites the entry;
 * a GSI catches up). Each case is healed within one tick, with the right
 * events once, and the next tick owes nothing.
 */
let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let h: PollerHarness;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
afterEach(() => h.dispose());

/** Serves `copy` in place of the watch's index entry until its item is written. */
function serveIndexCopy(copy: Watch): void {
  const store = h.pollStore;
  let served = true;
  const pages = store.pollablePages.bind(store);
  store.pollablePages = async function* (options) {
    let seen = false;
    for await (const page of pages(options)) {
      seen ||= page.some((watch) => watch.watchId === copy.watchId);
      yield page.map((watch) => (served && watch.watchId === copy.watchId ? structuredClone(copy) : watch));
    }
    // An entry left behind for an item that has left the index (deleted, paused) is served too.
    if (served && !seen) yield [structuredClone(copy)];
  };
  for (const write of ['commit', 'refresh', 'retire'] as const) {
    const real = store[write].bind(store) as (...args: unknown[]) => Promise<boolean>;
    (store as unknown as Record<string, unknown>)[write] = async (...args: unknown[]) => {
      const wrote = await real(...args);
      if (wrote && args[0] === copy.watchId) served = false;
      return wrote;
    };
  }
}

/** The item as the poller reads it (consistently). */
async function item(watchId: string): Promise<Watch> {
  const read = await h.pollStore.readIndexedWatch(watchId);
  if (!read) throw new Error(`${watchId} is not in the poll index`);
  return read;
}

/** What the item would become if the poll of the upstream as it is now were committed: the copy a torn write leaves in the index. */
async function commitAsTornIndexWouldShow(watchId: string, at: Date): Promise<Watch> {
  const before = await item(watchId);
  const fetched = await h.deps.fetcher.fetchState(before.resource);
  const decision = decidePoll(before, fetched, at, h.deps.policy);
  if (decision.write !== 'commit') throw new Error(`expected a commit, got ${decision.write}`);
  const { commit } = decision;
  return {
    ...before,
    version: commit.newVersion,
    snapshot: commit.snapshot,
    state: commit.state,
    consecutiveFailures: commit.consecutiveFailures,
    lastError: commit.lastError,
    lastPolledAt: commit.lastPolledAt,
    outbox: [...before.outbox, ...commit.enqueue],
  };
}

const transitions = (events: WatchEvent[]) => events.map((e) => `${e.sequence} ${e.data.changes.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', ')} (${String(e.data.current?.details.runId)})`);

describe.each([
  ['one GET per watch', undefined],
  ['sweeps', { fullRefreshSeconds: 3600, overlapSeconds: 0 }],
])('with %s', (_mode, sweeps) => {
  beforeEach(async () => {
    simulator.datasets.clear();
    simulator.corrections.clear();
    simulator.clearFaults();
    h = await pollerHarness(dynamo, simulator, { timeoutMs: 300, ...(sweeps ? { sweeps } : {}) });
  });

  /** A dataset watch, baselined at `pending` of run_1 (item at version 1), two ticks in so a sweep has its mark. */
  async function pendingWatch(): Promise<Watch> {
    simulator.putDataset('ds_1', { status: 'pending', run_id: 'run_1', updated_at: '2026-11-23T10:00:00.000Z' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    await h.poll();
    expect((await item(watch.watchId)).version).toBe(1);
    return watch;
  }

  describe('an index entry torn ahead of its item', () => {
    it('whose orphan is the upstream’s state still: the item is moved on within one tick and its event sent once', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      // The kill fell between the index entry and the item: the index shows running (version 2, owing its event); the item is still pending.
      const torn = await commitAsTornIndexWouldShow(watch.watchId, new Date('2026-11-23T10:05:30Z'));
      expect(torn).toMatchObject({ version: 2, outbox: [expect.objectContaining({ sequence: '2' })] });
      serveIndexCopy(torn);

      const healing = await h.poll();
      const after = await h.poll();

      expect(transitions(h.published())).toEqual(['2 status pending → running (run_1)']);
      expect(await item(watch.watchId)).toMatchObject({ version: 2, snapshot: { status: 'running' }, outbox: [] });
      expect(healing).toMatchObject({ changed: 1, eventsPublished: 1 });
      expect(after).toMatchObject({ changed: 0, eventsPublished: 0, conflicts: 0 });
    });

    it('whose orphan the upstream has moved past: the orphan is never sent, the transition the item sees is, once (the reused-version case)', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'failed', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      const torn = await commitAsTornIndexWouldShow(watch.watchId, new Date('2026-11-23T10:05:30Z'));
      const orphan = torn.outbox[0]!;
      // Restarted after the kill, the run was retried: the upstream is running, as run_2.
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_2', updated_at: '2026-11-23T10:06:00.000Z' });
      serveIndexCopy(torn);

      const healing = await h.poll();
      await h.poll();

      const published = h.published();
      expect(transitions(published)).toEqual(['2 status pending → running (run_2)']);
      expect(published.map((e) => e.id)).not.toContain(orphan.id);
      expect(await item(watch.watchId)).toMatchObject({ version: 2, snapshot: { status: 'running', details: { runId: 'run_2' } }, outbox: [] });
      expect(healing).toMatchObject({ changed: 1, eventsPublished: 1 });
    });

    it('with no event owed (a torn baseline or failure count): a write that loses its condition is decided again from the item within the tick', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'failed', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      // The index says version 3 with nothing owed; the item is at 1.
      serveIndexCopy({ ...(await item(watch.watchId)), version: 3 });

      const healing = await h.poll();
      await h.poll();

      expect(transitions(h.published())).toEqual(['2 status pending → failed (run_1)']);
      expect(healing).toMatchObject({ changed: 1, conflicts: 1, eventsPublished: 1 });
      expect(h.logger.at('info').map((l) => l.message)).toContain('watch changed under us; deciding again from its item');
    });
  });

  describe('an index entry for a watch that has left the index', () => {
    it('owing events its deleted item no longer has: nothing is sent, and the tick goes on', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      const torn = await commitAsTornIndexWouldShow(watch.watchId, new Date('2026-11-23T10:05:30Z'));
      expect(await h.store.deleteWatch('team-a', watch.watchId, new Date())).toBe(true);
      serveIndexCopy(torn);

      const tick = await h.poll();

      expect(h.published()).toEqual([]);
      expect(tick).toMatchObject({ watches: 1, failed: 0, eventsPublished: 0, requests: { get: 0 } });
    });

    it('paused while this tick decided from its copy: decided again from the item, which owes nothing, so nothing is sent', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      // The index still shows the watch active and a version behind; the item has been paused since (and so has left the index).
      const copy = await item(watch.watchId);
      await h.store.updateSettings('team-a', watch.watchId, { paused: true });
      serveIndexCopy({ ...copy, version: copy.version - 1 });

      const tick = await h.poll();

      expect(h.published()).toEqual([]);
      expect(tick).toMatchObject({ watches: 1, failed: 0, conflicts: 1, eventsPublished: 0 });
    });
  });

  describe('an index entry lagging behind its item', () => {
    it('that still shows an event the item has sent: not sent again, and the next transition is decided from the item, once', async () => {
      const watch = await pendingWatch();
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      // The index caught the commit but not yet the outbox's clearing: it still owes the event the tick below sends.
      const lagging = await commitAsTornIndexWouldShow(watch.watchId, new Date('2026-11-23T10:05:30Z'));
      await h.poll();
      expect(transitions(h.published())).toEqual(['2 status pending → running (run_1)']);
      simulator.putDataset('ds_1', { status: 'succeeded', run_id: 'run_1', updated_at: '2026-11-23T10:07:00.000Z' });
      serveIndexCopy(lagging);

      const next = await h.poll();
      await h.poll();

      expect(transitions(h.published())).toEqual(['2 status pending → running (run_1)', '3 status running → succeeded (run_1)']);
      expect(next).toMatchObject({ changed: 1, eventsPublished: 1 });
    });

    it('that is a version behind the item: the stale transition is not sent, the item decides, nothing new is owed', async () => {
      const watch = await pendingWatch();
      const stale = await item(watch.watchId);
      simulator.putDataset('ds_1', { status: 'running', run_id: 'run_1', updated_at: '2026-11-23T10:05:00.000Z' });
      await h.poll();
      serveIndexCopy(stale);

      // The copy, still pending, makes this tick decide pending → running again; its commit loses the condition.
      const lagging = await h.poll();
      simulator.putDataset('ds_1', { status: 'succeeded', run_id: 'run_1', updated_at: '2026-11-23T10:07:00.000Z' });
      const moved = await h.poll();

      expect(transitions(h.published())).toEqual(['2 status pending → running (run_1)', '3 status running → succeeded (run_1)']);
      expect(lagging).toMatchObject({ changed: 0, eventsPublished: 0 });
      expect(moved).toMatchObject({ changed: 1, eventsPublished: 1 });
      expect(await item(watch.watchId)).toMatchObject({ version: 3, snapshot: { status: 'succeeded' }, outbox: [] });
    });
  });
});
