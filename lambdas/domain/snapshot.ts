import { TRACKABLE_FIELDS, TRACKED_SLOT, type TrackedField } from './resource-types/declaration';

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const;
export type Grade = (typeof GRADES)[number];

/**
 * The normalized state of a watched resource at one poll. Only `status`,
 * `grade` and `score` (a run's best win rate) can trigger a notification; everything else is context
 * that travels with the event so subscribers need not call the provider.
 */
export interface Snapshot {
  status: string;
  /** A letter A-E when the provider follows its docs; other strings pass through (with a warning). */
  grade: string | null;
  score: number | null;
  progressPercent: number | null;
  /** Provider-specific context (evaluation summary, run id, error, name...). */
  details: Record<string, unknown>;
  /**
   * Watchpost's own clock: when it first saw the current status, progress
   * and `updated_at` (see stall.ts). Absent in snapshots from before stall
   * detection, and in what a fetch returns (the poll adds it).
   */
  movedAt?: string;
  /** Set while a `resource.stalled` has been announced and no `resource.resumed` yet. */
  stalledSince?: string;
}

export interface FieldChange {
  field: TrackedField;
  from: string | number | null;
  to: string | number | null;
}

/** The changes between two snapshots, restricted to the fields a watch tracks. */
export function diffSnapshots(previous: Snapshot, current: Snapshot, tracked: readonly TrackedField[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of TRACKABLE_FIELDS) {
    if (!tracked.includes(field)) continue;
    const slot = TRACKED_SLOT[field];
    if (previous[slot] !== current[slot]) {
      changes.push({ field, from: previous[slot], to: current[slot] });
    }
  }
  return changes;
}

/**
 * How much upstream text a snapshot keeps (documented in the README). Every
 * free-text value is cut to these lengths, so a watch item (snapshot, and
 * events carrying two snapshots in the outbox) stays far below DynamoDB's
 * 400 KB item limit whatever an upstream sends.
 */
export const TEXT_LIMITS = { status: 64, grade: 16, detail: 256 } as const;

/** Cuts `text` to `limit` characters, marking the cut with an ellipsis. */
export function cutText(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function cutDetails(value: unknown): unknown {
  if (typeof value === 'string') return cutText(value, TEXT_LIMITS.detail);
  if (Array.isArray(value)) return value.slice(0, 20).map(cutDetails);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, cutDetails(inner)]));
  return value;
}

/** The snapshot with every upstream string cut to TEXT_LIMITS. */
export function boundSnapshot(snapshot: Snapshot): Snapshot {
  return {
    status: cutText(snapshot.status, TEXT_LIMITS.status),
    grade: snapshot.grade === null ? null : cutText(snapshot.grade, TEXT_LIMITS.grade),
    score: snapshot.score,
    progressPercent: snapshot.progressPercent,
    details: cutDetails(snapshot.details) as Record<string, unknown>,
  };
}
