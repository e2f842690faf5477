import type { TrackedField } from './resource';

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const;
export type Grade = (typeof GRADES)[number];

/**
 * The normalized state of a watched resource at one poll. Only `status`,
 * `grade` and `score` can trigger a notification; everything else is context
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
}

export interface FieldChange {
  field: TrackedField;
  from: string | number | null;
  to: string | number | null;
}

/** The changes between two snapshots, restricted to the fields a watch tracks. */
export function diffSnapshots(previous: Snapshot, current: Snapshot, tracked: readonly TrackedField[]): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of ['status', 'grade', 'score'] as const) {
    if (!tracked.includes(field)) continue;
    if (previous[field] !== current[field]) {
      changes.push({ field, from: previous[field], to: current[field] });
    }
  }
  return changes;
}
