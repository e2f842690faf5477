import { newSweepIndex, pollWatches, type PollDeps, type PollSummary } from './poll-watches';

export interface SweepLoopOptions {
  /** When the invocation started (ms since the epoch): the first sweep's slot. */
  startedAt: number;
  sweepSeconds: number;
  /** No sweep starts unless its deadline falls before this (ms since the epoch). */
  until: number;
  /** A sweep's share of its slot before it stops starting watches. @default 0.8 */
  deadlineShare?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each sweep with its slot time (the benchmark changes resources here). */
  beforeSweep?: (at: Date) => Promise<void> | void;
}

/**
 * Several sweeps in one scheduled invocation (WATCHPOST_SWEEP_SECONDS below
 * the schedule's minute): changes are heard within seconds, while the poll
 * index is scanned once per invocation; later sweeps re-read only the
 * watches an earlier one fetched or wrote. Sweeps keep to their slots: one
 * that overruns makes the next start at the following free slot, never two
 * back to back.
 */
export async function sweepInvocation(deps: PollDeps, options: SweepLoopOptions): Promise<PollSummary[]> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const slotMs = options.sweepSeconds * 1000;
  const deadlineMs = slotMs * (options.deadlineShare ?? 0.8);
  const index = newSweepIndex();
  const summaries: PollSummary[] = [];
  let at = options.startedAt;
  for (;;) {
    if (summaries.length > 0) {
      at += slotMs;
      while (at < clock()) at += slotMs; // the last sweep overran: the slots it took have gone
      if (at + deadlineMs > options.until) break;
      await sleep(at - clock());
    }
    await options.beforeSweep?.(new Date(at));
    summaries.push(await pollWatches(deps, new Date(at), { signal: AbortSignal.timeout(deadlineMs), index }));
  }
  return summaries;
}

/** One summary for an invocation's sweeps (counts add up; cut off if any was). */
export function mergeSummaries(summaries: readonly PollSummary[]): PollSummary {
  const [first, ...rest] = summaries;
  if (!first) throw new Error('mergeSummaries needs at least one summary');
  const merged: PollSummary = structuredClone(first);
  for (const summary of rest) {
    for (const key of ['watches', 'unchanged', 'baselines', 'changed', 'failed', 'gone', 'conflicts', 'eventsPublished', 'eventsPending', 'sweptUnchanged', 'listFallbacks'] as const) {
      merged[key] += summary[key];
    }
    for (const key of ['get', 'projectList', 'datasetList', 'runList'] as const) merged.requests[key] += summary.requests[key];
    for (const [kind, count] of Object.entries(summary.failuresByKind)) merged.failuresByKind[kind] = (merged.failuresByKind[kind] ?? 0) + count;
    merged.cutOff ||= summary.cutOff;
  }
  return merged;
}
