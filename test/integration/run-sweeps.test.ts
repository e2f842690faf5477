import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventIdFor, type WatchEvent } from '../../lambdas/domain/events';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';

/**
 * AutoScientist runs through the sweep: dynalite for the store, the
 * simulator over real HTTP for Adaption, the same poll use case as deployed.
 */
const SWEEPS = { fullRefreshSeconds: 3600, overlapSeconds: 120 };
const run = (runId: string) => ({ type: 'autoscientist_run' as const, runId });
/** The id a watch's event takes at `version` for the transition it reports. */
const idAt = (watchId: string, version: number, event: WatchEvent | undefined) => (event ? eventIdFor(watchId, version, { type: event.type, ...event.data }) : 'no event');

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let h: PollerHarness;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  simulator.runs.clear();
  simulator.datasets.clear();
  simulator.corrections.clear();
  simulator.clearFaults();
  h = await pollerHarness(dynamo, simulator, { timeoutMs: 300, sweeps: SWEEPS });
});
afterEach(() => h.dispose());

/** Upstream requests by endpoint during `action`. */
async function requestsDuring<T>(action: () => Promise<T>): Promise<{ result: T; requests: Record<string, number> }> {
  simulator.resetStats();
  const result = await action();
  const { login: _login, ...requests } = simulator.getStats().byEndpoint;
  return { result, requests };
}

describe('sweeps: AutoScientist runs', () => {
  it('reads every watched running run from one walk of the list, baseline included, and hears a change from it', async () => {
    for (const id of ['r1', 'r2', 'r3']) simulator.putRun(id, { status: 'running', iterations_completed: 1, best_win_rate: 0.55 });
    const watches = await Promise.all(['r1', 'r2', 'r3'].map((id) => h.watch(run(id))));

    const first = await requestsDuring(() => h.poll());
    simulator.putRun('r2', { status: 'succeeded', best_win_rate: 0.82, download_available: true });
    const changed = await requestsDuring(() => h.poll());

    expect([first.result.baselines, first.requests]).toEqual([3, { runList: 1 }]);
    expect(changed.requests).toEqual({ runList: 1 });
    expect(changed.result.requests).toEqual({ get: 0, projectList: 0, datasetList: 0, runList: 1 });
    const events = h.published();
    expect(events.map((e) => [e.id, e.type, e.subject, e.data.changes])).toEqual([
      [idAt(watches[1]!.watchId, 2, events[0]), EVENT_TYPES.changed, 'autoscientist/r2', [{ field: 'status', from: 'running', to: 'succeeded' }]],
    ]);
    expect(events[0]?.data.current).toMatchObject({ status: 'succeeded', score: 0.82, details: { downloadAvailable: true, targetWinRate: 0.8 } });
  });

  it('fetches a run missing from the list by itself before calling it gone', async () => {
    simulator.putRun('r1', { status: 'running' });
    simulator.putRun('r2', { status: 'running' });
    await h.watch(run('r1'));
    const vanishing = await h.watch(run('r2'));
    await h.poll();
    simulator.runs.delete('r2');

    const { result, requests } = await requestsDuring(() => h.poll());

    expect(requests).toEqual({ runList: 1, run: 1 });
    expect(result.gone).toBe(1);
    expect(h.published().map((e) => [e.type, e.subject, e.id])).toEqual([[EVENT_TYPES.gone, 'autoscientist/r2', idAt(vanishing.watchId, 2, h.published()[0])]]);
    expect((await h.store.getWatch(vanishing.watchId))?.state).toBe('gone');
  });

  it('keeps a run that the list does not show but its own GET does: no gone, and its change is heard', async () => {
    simulator.putRun('r1', { status: 'running' });
    await h.watch(run('r1'));
    await h.poll();
    simulator.putRun('r1', { status: 'failed', error: 'out of GPU memory' });
    // The list answers, but without the run (an upstream page that lags).
    simulator.addFault({ path: '/api/v1/autoscientist', exact: true, body: 'empty' });

    const { result, requests } = await requestsDuring(() => h.poll());

    expect([result.gone, requests]).toEqual([0, { runList: 1, run: 1 }]);
    expect(h.published().map((e) => [e.data.changes, e.data.current?.details.errorMessage])).toEqual([[[{ field: 'status', from: 'running', to: 'failed' }], 'out of GPU memory']]);
  });

  it('falls back to one GET per run when the list fails, says so, and loses no change', async () => {
    for (const id of ['r1', 'r2']) simulator.putRun(id, { status: 'running' });
    for (const id of ['r1', 'r2']) await h.watch(run(id));
    await h.poll();
    simulator.putRun('r1', { status: 'cancelled' });
    simulator.addFault({ path: '/api/v1/autoscientist', exact: true, status: 503 });

    const { result, requests } = await requestsDuring(() => h.poll());

    expect(result.listFallbacks).toBe(1);
    expect(requests).toEqual({ runList: 2, run: 2 }); // the list is retried once (maxAttempts 2), then each run's GET
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`)).toEqual(['autoscientist/r1 cancelled']);
    expect(h.logger.at('warn').filter((entry) => entry.message.startsWith('list requests failed'))).toHaveLength(1);
  });

  it('tells each step of a run’s story once: iterations improving the win rate, then the outcome', async () => {
    simulator.putRun('r1', { max_iterations: 3, target_win_rate: 0.8 });
    const watch = await h.watch(run('r1'), { notifyOn: ['status', 'winRate'] });
    await h.poll();

    for (let step = 0; step < 8; step++) {
      simulator.advance('autoscientist/r1');
      await h.poll();
    }

    const events = h.published();
    expect(events.map((e) => e.data.changes.map((c) => `${c.field} ${c.from} → ${c.to}`).join(', '))).toEqual([
      'status pending → running',
      'winRate null → 0.61',
      'winRate 0.61 → 0.71',
      'winRate 0.71 → 0.82',
      'status running → succeeded',
    ]);
    expect(events.map((e) => e.sequence)).toEqual(['2', '3', '4', '5', '6']);
    expect(events.map((e, i) => e.id === idAt(watch.watchId, i + 2, e))).toEqual([true, true, true, true, true]);
  });

  it('lets a finished run go quiet: no walk for it, one GET per full-refresh period', async () => {
    simulator.putRun('r1', { status: 'running' });
    await h.watch(run('r1'));
    await h.poll();
    simulator.putRun('r1', { status: 'succeeded', best_win_rate: 0.82 });
    await h.poll();
    expect(h.published()).toHaveLength(1);

    simulator.resetStats();
    for (let minute = 0; minute < 60; minute++) await h.poll();

    expect(simulator.getStats().byEndpoint).toEqual({ run: 1 });
    expect(h.published()).toHaveLength(1);
  });

  it('walks only as far as the last watched run: requests per sweep stay within ceil(runs in the account ÷ 100)', async () => {
    // 250 runs, newest first in the list; the watched running one is the oldest.
    for (let i = 0; i < 250; i++) simulator.putRun(`bulk_${String(i).padStart(3, '0')}`, { status: 'succeeded', created_at: new Date(Date.parse('2026-12-01T00:00:00Z') + i * 60_000).toISOString() });
    simulator.putRun('oldest', { status: 'running', created_at: '2026-11-01T00:00:00Z' });
    simulator.putRun('newest', { status: 'running', created_at: '2026-12-09T00:00:00Z' });
    await h.watch(run('newest'));
    const onlyNewest = await requestsDuring(() => h.poll());
    await h.watch(run('oldest'));
    const both = await requestsDuring(() => h.poll());

    expect(onlyNewest.requests).toEqual({ runList: 1 });
    expect(both.requests).toEqual({ runList: Math.ceil(252 / 100) });
  });

  it('gives one event per transition when two pollers sweep at once, many times', async () => {
    simulator.putRun('r1', { status: 'pending' });
    await h.watch(run('r1'), { notifyOn: ['status', 'winRate'] });
    await h.poll();
    const steps: Array<Record<string, unknown>> = [
      { status: 'running', best_win_rate: null },
      { best_win_rate: 0.6 },
      { best_win_rate: 0.7 },
      { status: 'failed', error: 'evaluator crashed' },
    ];

    for (const [round, fields] of steps.entries()) {
      simulator.putRun('r1', fields);
      const at = new Date(Date.parse('2026-11-23T12:00:00Z') + round * 60_000);
      await Promise.all([pollWatches(h.deps, at), pollWatches(h.deps, at)]);
    }

    const events = h.published();
    expect(events.map((e) => e.data.changes.map((c) => `${c.field}=${c.to}`).join())).toEqual(['status=running', 'winRate=0.6', 'winRate=0.7', 'status=failed']);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
  });
});
