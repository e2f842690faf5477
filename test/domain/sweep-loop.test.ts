import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../lambdas/domain/events';
import { emptySummary, type PollDeps, type PollSummary } from '../../lambdas/domain/poll-watches';
import type { PollStore, SweepStateStore } from '../../lambdas/domain/ports';
import { EMPTY_SWEEP_STATE } from '../../lambdas/domain/sweep-plan';
import { mergeSummaries, sweepInvocation } from '../../lambdas/domain/sweep-loop';
import { captureLogger } from '../support/logger';

/** A poll with no watches: what matters here is when sweeps start, not what they find. */
function emptyDeps(onScan: () => void): PollDeps {
  const store: PollStore & SweepStateStore = {
    async *pollablePages() {
      onScan();
    },
    readIndexedWatch: async () => undefined,
    commit: async () => true,
    refresh: async () => true,
    retire: async () => true,
    recordHistory: async () => undefined,
    clearOutbox: async () => undefined,
    readSweepState: async () => EMPTY_SWEEP_STATE,
    saveSweepState: async () => true,
  };
  const unreachable = () => Promise.reject(new Error('no request expected'));
  return {
    store,
    fetcher: { fetchState: unreachable },
    publisher: { publish: async (_events: WatchEvent[]) => ({ failedIds: [], errors: [] }) },
    logger: captureLogger(),
    policy: { concurrency: 2, failureThreshold: 3, heartbeatSeconds: 3600 },
    sweeps: { lister: { listProjectSessions: unreachable, sweepDatasets: unreachable, walkRuns: unreachable }, state: store, policy: { fullRefreshSeconds: 3600, overlapSeconds: 120 } },
  };
}

describe('sweepInvocation', () => {
  it('runs a sweep in each slot whose deadline falls inside the invocation, scanning the index once', async () => {
    let scans = 0;
    let now = 0;
    const starts: number[] = [];

    const summaries = await sweepInvocation(emptyDeps(() => (scans += 1)), {
      startedAt: 0,
      sweepSeconds: 15,
      until: 60_000,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      beforeSweep: (at) => void starts.push(at.getTime()),
    });

    // The slot at 45 s stops at 57 s, inside the minute; the one at 60 s would not.
    expect(starts).toEqual([0, 15_000, 30_000, 45_000]);
    expect(summaries).toHaveLength(4);
    expect(scans).toBe(1);
  });

  it('skips the slots an overrunning sweep took, instead of running sweeps back to back', async () => {
    let now = 0;
    const starts: number[] = [];

    await sweepInvocation(emptyDeps(() => undefined), {
      startedAt: 0,
      sweepSeconds: 10,
      until: 60_000,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      beforeSweep: (at) => {
        starts.push(at.getTime());
        // The first sweep takes 25 s: the slots at 10 and 20 s have gone.
        if (at.getTime() === 0) now += 25_000;
      },
    });

    expect(starts).toEqual([0, 30_000, 40_000, 50_000]);
  });
});

describe('sweepInvocation at its boundaries', () => {
  async function slots(options: { sweepSeconds: number; until: number; tookMs?: number }) {
    let now = 0;
    const starts: number[] = [];
    await sweepInvocation(emptyDeps(() => undefined), {
      startedAt: 0,
      sweepSeconds: options.sweepSeconds,
      until: options.until,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      beforeSweep: (at) => {
        starts.push(at.getTime());
        if (at.getTime() === 0) now += options.tookMs ?? 0;
      },
    });
    return starts;
  }

  it('keeps the next slot when a sweep ends exactly at it', async () => {
    expect(await slots({ sweepSeconds: 10, until: 30_000, tookMs: 10_000 })).toEqual([0, 10_000, 20_000]);
  });

  it('runs a slot whose deadline falls exactly at the end of the invocation', async () => {
    // The slot at 45 s stops at 57 s.
    expect(await slots({ sweepSeconds: 15, until: 57_000 })).toEqual([0, 15_000, 30_000, 45_000]);
  });
});

describe('mergeSummaries', () => {
  const summary = (fields: Partial<PollSummary>): PollSummary => ({ ...emptySummary(), ...fields });

  it('adds every count, merges failures by kind, and is cut off if any sweep was', () => {
    const merged = mergeSummaries([
      summary({ watches: 3, changed: 1, failuresByKind: { unavailable: 1 }, requests: { get: 2, projectList: 1, datasetList: 1, runList: 2 }, listFallbacks: 1 }),
      summary({ watches: 3, changed: 2, eventsPublished: 2, failuresByKind: { unavailable: 2, malformed: 1 }, cutOff: true, requests: { get: 1, projectList: 1, datasetList: 2, runList: 1 } }),
    ]);

    expect(merged).toEqual(
      summary({
        watches: 6,
        changed: 3,
        eventsPublished: 2,
        failuresByKind: { unavailable: 3, malformed: 1 },
        cutOff: true,
        requests: { get: 3, projectList: 2, datasetList: 3, runList: 3 },
        listFallbacks: 1,
      }),
    );
  });

  it('refuses an empty list rather than inventing a summary', () => {
    expect(() => mergeSummaries([])).toThrow(/at least one/);
  });
});
