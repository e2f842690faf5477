import { isDeepStrictEqual } from 'node:util';
import { buildWatchEvent, EVENT_TYPES, type WatchEvent } from './events';
import type { FetchOutcome, WatchCommit } from './ports';
import { cutText, diffSnapshots, type Snapshot } from './snapshot';
import { stallStep, trackMotion } from './stall';

/** A recorded poll error keeps this much of its message (it can quote upstream text). */
export const ERROR_MESSAGE_LIMIT = 500;
import type { Watch } from './watch';

export interface PollPolicy {
  /** Consecutive failed polls after which a `watch.failing` event is sent. */
  failureThreshold: number;
  /** An unchanged watch still records its poll time once this often. */
  heartbeatSeconds: number;
}

export type PollDecision =
  | { write: 'none' }
  | { write: 'refresh'; snapshot: Snapshot; polledAt: string }
  | { write: 'commit'; commit: WatchCommit };

/**
 * Decides, from a watch and what its resource looks like now, what to write
 * and which events to enqueue. Pure: every I/O happens in the caller.
 *
 * Each event takes the next version number, so its id is fixed by the watch
 * and the transition it reports; re-running the same decision after a crash
 * yields the same ids.
 */
export function decidePoll(watch: Watch, fetched: FetchOutcome, now: Date, policy: PollPolicy): PollDecision {
  const polledAt = now.toISOString();
  const events: WatchEvent[] = [];
  const nextVersion = () => watch.version + events.length + 1;
  const emit = (type: WatchEvent['type'], fields: Omit<Parameters<typeof buildWatchEvent>[0], 'watch' | 'version' | 'time' | 'type'>) =>
    events.push(buildWatchEvent({ watch, version: nextVersion(), time: now, type, ...fields }));
  const commit = (fields: Pick<WatchCommit, 'snapshot' | 'state' | 'consecutiveFailures' | 'lastError'>): PollDecision => ({
    write: 'commit',
    commit: { ...fields, newVersion: watch.version + Math.max(events.length, 1), lastPolledAt: polledAt, enqueue: events },
  });

  if (fetched.outcome === 'failed') {
    const failures = watch.consecutiveFailures + 1;
    const lastError = { kind: fetched.error.kind, message: cutText(fetched.error.message, ERROR_MESSAGE_LIMIT), at: polledAt };
    if (failures === policy.failureThreshold) {
      emit(EVENT_TYPES.failing, {
        previous: watch.snapshot,
        current: watch.snapshot,
        failure: { kind: lastError.kind, message: lastError.message, consecutiveFailures: failures },
      });
    }
    return commit({ snapshot: watch.snapshot, state: 'active', consecutiveFailures: failures, lastError });
  }

  if (watch.consecutiveFailures >= policy.failureThreshold) {
    emit(EVENT_TYPES.recovered, {
      previous: watch.snapshot,
      current: fetched.outcome === 'found' ? fetched.snapshot : null,
    });
  }

  if (fetched.outcome === 'gone') {
    emit(EVENT_TYPES.gone, { previous: watch.snapshot, current: null });
    return commit({ snapshot: watch.snapshot, state: 'gone', consecutiveFailures: 0, lastError: null });
  }

  // Motion is kept only for watches that ask about stalls (or owe a resumed): others write nothing new.
  const tracking = watch.stalledAfterMinutes !== null || watch.snapshot?.stalledSince !== undefined;
  const tracked = tracking ? trackMotion(watch.snapshot, fetched.snapshot, now) : fetched.snapshot;
  const recovering = watch.consecutiveFailures > 0;
  if (watch.snapshot === null) {
    // The first successful poll records the baseline silently.
    return commit({ snapshot: tracked, state: 'active', consecutiveFailures: 0, lastError: null });
  }

  // A stall ends before the change that ended it is told; a new one is told after.
  const stall = stallStep(watch.resource.type, watch.stalledAfterMinutes, watch.snapshot, tracked, now);
  const current = stall.snapshot;
  if (stall.kind === 'resumed') emit(EVENT_TYPES.resumed, { previous: watch.snapshot, current, stall: stall.stall });
  const changes = diffSnapshots(watch.snapshot, current, watch.notifyOn);
  if (changes.length > 0) {
    emit(EVENT_TYPES.changed, { changes, previous: watch.snapshot, current });
  }
  if (stall.kind === 'stalled') emit(EVENT_TYPES.stalled, { previous: watch.snapshot, current, stall: stall.stall });
  if (events.length > 0 || recovering) {
    return commit({ snapshot: current, state: 'active', consecutiveFailures: 0, lastError: null });
  }

  const contextChanged = !isDeepStrictEqual(watch.snapshot, current);
  const heartbeatDue =
    watch.lastPolledAt === null || now.getTime() - Date.parse(watch.lastPolledAt) >= policy.heartbeatSeconds * 1000;
  if (contextChanged || heartbeatDue) return { write: 'refresh', snapshot: current, polledAt };
  return { write: 'none' };
}
