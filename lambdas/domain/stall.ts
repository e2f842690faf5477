import { isRunningStatus, type ResourceType } from './resource';
import type { Snapshot } from './snapshot';

/**
 * Stalled jobs. A watch with `stalledAfterMinutes` hears one
 * `resource.stalled` when its resource is in a running status (the type's
 * `runningStatuses`) and neither its status, its progress nor its
 * `updated_at` has moved for that long, and one `resource.resumed` when it
 * moves again (reaching an outcome is a move). Time is counted on
 * Watchpost's clock from the poll that first saw the current state, so a
 * stall is noticed at the first poll at or after the threshold (see the
 * README for how soon that is per type); no request is made for it.
 */

/** The longest threshold a watch may set: a week. */
export const MAX_STALLED_AFTER_MINUTES = 7 * 24 * 60;

/** What `data.stall` says in both events. */
export interface StallInfo {
  /** The watch's `stalledAfterMinutes` when the event was decided (null: turned off since). */
  thresholdMinutes: number | null;
  /** When Watchpost last saw the resource move (its own clock). */
  lastMovedAt: string;
  /** Whole minutes from lastMovedAt to the event: how long it stood still. */
  minutesWithoutMotion: number;
  /** The progress the resource showed while it stood still. */
  lastProgressPercent: number | null;
  /** resumed only: the status it moved on to (running again, or an outcome). */
  resumedStatus?: string;
}

/** What counts as moving: the status, the progress, and the provider's own `updated_at` when it has one. */
function motionKey(snapshot: Snapshot): string {
  return JSON.stringify([snapshot.status, snapshot.progressPercent, snapshot.details.updatedAt ?? null]);
}

export function hasMoved(previous: Snapshot | null, current: Snapshot): boolean {
  return previous === null || motionKey(previous) !== motionKey(current);
}

/** `current` with the motion bookkeeping carried over from `previous` (or started now). */
export function trackMotion(previous: Snapshot | null, current: Snapshot, now: Date): Snapshot {
  const { movedAt: _movedAt, stalledSince: _stalledSince, ...state } = current;
  if (previous === null || hasMoved(previous, current)) return { ...state, movedAt: now.toISOString() };
  const tracked: Snapshot = { ...state, movedAt: previous.movedAt ?? now.toISOString() };
  if (previous.stalledSince !== undefined) tracked.stalledSince = previous.stalledSince;
  return tracked;
}

const minutesBetween = (from: string, to: Date) => Math.floor((to.getTime() - Date.parse(from)) / 60_000);

export type StallStep =
  | { kind: 'none'; snapshot: Snapshot }
  | { kind: 'stalled' | 'resumed'; snapshot: Snapshot; stall: StallInfo };

/**
 * The stall transition, if any, between the last recorded snapshot and the
 * current one (already through trackMotion).
 */
export function stallStep(type: ResourceType, thresholdMinutes: number | null, previous: Snapshot | null, current: Snapshot, now: Date): StallStep {
  if (previous?.stalledSince !== undefined && previous.movedAt !== undefined && hasMoved(previous, current)) {
    const { stalledSince: _ended, ...snapshot } = current;
    return {
      kind: 'resumed',
      snapshot,
      stall: {
        thresholdMinutes,
        lastMovedAt: previous.movedAt,
        minutesWithoutMotion: minutesBetween(previous.movedAt, now),
        lastProgressPercent: previous.progressPercent,
        resumedStatus: current.status,
      },
    };
  }
  if (stallDue(type, thresholdMinutes, current, now)) {
    const movedAt = current.movedAt as string;
    return {
      kind: 'stalled',
      snapshot: { ...current, stalledSince: now.toISOString() },
      stall: { thresholdMinutes, lastMovedAt: movedAt, minutesWithoutMotion: minutesBetween(movedAt, now), lastProgressPercent: current.progressPercent },
    };
  }
  return { kind: 'none', snapshot: current };
}

/** Whether a resource standing still in `snapshot` has now been still long enough to announce (and not announced yet). */
export function stallDue(type: ResourceType, thresholdMinutes: number | null, snapshot: Snapshot | null, now: Date): boolean {
  if (thresholdMinutes === null || snapshot === null || snapshot.movedAt === undefined || snapshot.stalledSince !== undefined) return false;
  if (!isRunningStatus(type, snapshot.status)) return false;
  return now.getTime() - Date.parse(snapshot.movedAt) >= thresholdMinutes * 60_000;
}
