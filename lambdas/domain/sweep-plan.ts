import { createHash } from 'node:crypto';
import { isFinalStatus, resourceSubject } from './resource';
import type { Watch } from './watch';

/**
 * Sweeps: one tick asks each upstream what changed, in the fewest requests,
 * instead of one GET per watch. Everything here is pure; the poll use case
 * does the I/O.
 *
 * - Correction sessions: one `GET /projects/{p}/corrections` per project with
 *   two or more watched sessions to look at (its entries carry the full
 *   state); a project with one costs one GET either way, so it gets the
 *   single GET, whose answer is authoritative (404 = gone). A session that
 *   has reached a terminal status (FINISHED, FAILED) is quiet: it is looked
 *   at when its project is listed anyway, and otherwise only once per
 *   full-refresh period (to hear that it was deleted), spread like the
 *   datasets' refreshes, so finished jobs do not cost a list every sweep.
 * - Datasets: one walk of the list sorted by `updated_at` (newest first) down
 *   to the last sweep's high-water mark minus an overlap; only watched
 *   datasets whose `updated_at` or `status` moved are fetched by themselves
 *   (the list has no `evaluation_summary`), plus each dataset watch once per
 *   full-refresh period, spread evenly over time.
 * - AutoScientist runs: one walk of the runs list (entries are whole runs)
 *   for every watched run not settled in a final status. Runs have no
 *   `updated_at`, so the walk stops not at a time but once it has seen every
 *   run it looks for (or at the list's end): nothing can be missed, since
 *   what the walk reads for a run is that run's whole current state, taken
 *   this tick, whatever the list's order. A run the walk did not find is
 *   fetched by itself (only its 404 calls it gone). A run settled in a final
 *   status (succeeded, failed, cancelled) is quiet: it gets a single GET
 *   once per full-refresh period, spread like the others, and never makes
 *   the walk go deeper.
 */
export interface SweepPolicy {
  /** Every dataset watch is fetched by itself at least this often. */
  fullRefreshSeconds: number;
  /** The sweep reaches back this far before the high-water mark (clock skew upstream). */
  overlapSeconds: number;
}

/** What the poller keeps between sweeps (one item, written conditionally). */
export interface SweepState {
  /** The newest dataset `updated_at` a complete sweep has seen, as the upstream wrote it. */
  datasetHighWaterMark: string | null;
  /** When the last sweep ran (our clock): full refreshes due since then are due now. */
  lastSweepAt: string | null;
  version: number;
}

export const EMPTY_SWEEP_STATE: SweepState = { datasetHighWaterMark: null, lastSweepAt: null, version: 0 };

/** A dataset as the list shows it: enough to tell that it moved, not what it is now. */
export interface ListedDataset {
  status: string;
  updatedAt: string | null;
}

export interface TickPlan {
  /** Projects whose sessions come from one list request. */
  projectLists: number[];
  /** Quiet sessions (terminal status) with nothing due this tick: not fetched unless their project is listed anyway. */
  quietSessions: Set<string>;
  /** Whether dataset watches exist, so the dataset list is swept. */
  sweepDatasets: boolean;
  /** Dataset watches, and quiet runs, due for their periodic full fetch this tick. */
  refreshDue: Set<string>;
  /** Run ids the walk of the runs list looks for: watched runs not settled in a final status. */
  runWalk: Set<string>;
  /** Quiet runs (final status) with nothing due this tick: not fetched. */
  quietRuns: Set<string>;
}

/** The fewest requests that cover the tick's watches (see the module comment). */
export function planTick(watches: readonly Watch[], state: SweepState, now: Date, policy: SweepPolicy): TickPlan {
  const sessionsByProject = new Map<number, Set<number>>();
  const refreshDue = new Set<string>();
  const quietSessions = new Set<string>();
  const runWalk = new Set<string>();
  const quietRuns = new Set<string>();
  let sweepDatasets = false;
  for (const watch of watches) {
    const { resource } = watch;
    if (resource.type === 'autoscientist_run') {
      if (!isSettledFinal(watch)) runWalk.add(resource.runId);
      else if (fullRefreshDue(watch.watchId, state.lastSweepAt, now, policy.fullRefreshSeconds)) refreshDue.add(watch.watchId);
      else quietRuns.add(watch.watchId);
    } else if (resource.type === 'correction_session') {
      if (isQuietSession(watch)) {
        if (!fullRefreshDue(watch.watchId, state.lastSweepAt, now, policy.fullRefreshSeconds)) {
          quietSessions.add(watch.watchId);
          continue;
        }
        refreshDue.add(watch.watchId);
      }
      const sessions = sessionsByProject.get(resource.projectId) ?? new Set<number>();
      sessions.add(resource.correctionId);
      sessionsByProject.set(resource.projectId, sessions);
    } else {
      sweepDatasets = true;
      if (fullRefreshDue(watch.watchId, state.lastSweepAt, now, policy.fullRefreshSeconds)) refreshDue.add(watch.watchId);
    }
  }
  const projectLists = [...sessionsByProject].filter(([, sessions]) => sessions.size >= 2).map(([projectId]) => projectId);
  return { projectLists: projectLists.sort((a, b) => a - b), quietSessions, sweepDatasets, refreshDue, runWalk, quietRuns };
}

/** A session watch settled in a terminal status: polled fine last time, nothing owed. */
export function isQuietSession(watch: Watch): boolean {
  return watch.resource.type === 'correction_session' && isSettledFinal(watch);
}

/**
 * A watch settled in a status its type declares final (it then changes only
 * by going away): polled fine last time, nothing owed.
 */
export function isSettledFinal(watch: Watch): boolean {
  return (
    watch.snapshot !== null &&
    isFinalStatus(watch.resource.type, watch.snapshot.status) &&
    watch.consecutiveFailures === 0 &&
    watch.outbox.length === 0
  );
}

/**
 * Spreads full refreshes evenly: each watch has a fixed phase in the period
 * (from a hash of its id), and is due in the tick whose span (last sweep,
 * now] contains its next phase point. So the refreshes per minute are
 * watches ÷ period whatever the sweep interval, and never all at once. A
 * first sweep, or one after a gap of a whole period, refreshes everything.
 */
export function fullRefreshDue(watchId: string, lastSweepAt: string | null, now: Date, periodSeconds: number): boolean {
  if (lastSweepAt === null) return true;
  const periodMs = periodSeconds * 1000;
  const previous = Date.parse(lastSweepAt);
  const current = now.getTime();
  if (!(current - previous < periodMs)) return true;
  const phase = refreshPhaseMs(watchId, periodMs);
  // The latest phase point at or before now; due if it falls after the last sweep.
  const latestPoint = current - ((((current - phase) % periodMs) + periodMs) % periodMs);
  return latestPoint > previous;
}

/** Where in each period a watch's full refresh falls (ms after a multiple of the period since the epoch). */
export function refreshPhaseMs(watchId: string, periodMs: number): number {
  const digest = createHash('sha256').update(watchId).digest();
  return digest.readUInt32BE(0) % periodMs;
}

/** Where a dataset sweep stops: items older than this were seen by an earlier sweep. */
export function sweepFloor(state: SweepState, policy: SweepPolicy): string | null {
  if (state.datasetHighWaterMark === null) return null;
  const mark = Date.parse(state.datasetHighWaterMark);
  if (Number.isNaN(mark)) return null;
  return new Date(mark - policy.overlapSeconds * 1000).toISOString();
}

/**
 * Whether a dataset watch needs its own GET this tick. Without a complete
 * sweep (no high-water mark yet, or the list failed) every watch does, as
 * before sweeps. Otherwise: a baseline still to take, a failing watch (its
 * recovery is only seen by fetching), a refresh that is due, or a list entry
 * whose status or `updated_at` differs from the snapshot.
 */
export function datasetNeedsFetch(watch: Watch, listed: ListedDataset | undefined, sweepComplete: boolean, refreshDue: boolean): boolean {
  if (!sweepComplete || refreshDue || watch.snapshot === null || watch.consecutiveFailures > 0) return true;
  if (listed === undefined) return false;
  return listed.status !== watch.snapshot.status || listed.updatedAt !== (watch.snapshot.details.updatedAt ?? null);
}

/**
 * The high-water mark after a sweep: the newest `updated_at` seen so far,
 * but held below any moved dataset whose poll did not complete (it may move
 * back for that), so the next sweep lists that dataset again.
 */
export function nextHighWaterMark(previous: string | null, newestSeen: string | null, unfinished: readonly string[]): string | null {
  const times = [previous, newestSeen].map(toMs).filter((ms): ms is number => ms !== null);
  let mark = times.length > 0 ? Math.max(...times) : null;
  for (const ms of unfinished.map(toMs)) {
    if (ms !== null && (mark === null || ms - 1 < mark)) mark = ms - 1;
  }
  return mark === null ? null : new Date(mark).toISOString();
}

function toMs(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** A key that is the same for every team watching one resource: one fetch per tick. */
export function fetchKey(watch: Watch): string {
  return resourceSubject(watch.resource);
}
