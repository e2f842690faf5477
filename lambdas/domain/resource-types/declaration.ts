import type { z } from 'zod';

/** Every field a watch can be told to notify on; each resource type declares which of these it has. */
export const TRACKABLE_FIELDS = ['status', 'grade', 'score', 'winRate'] as const;
export type TrackedField = (typeof TRACKABLE_FIELDS)[number];

/**
 * Which snapshot figure a tracked field reads. A run's best win rate is its
 * figure, kept where the other types keep theirs (`score`), and tracked
 * under its own name so events and filters say what it is.
 */
export const TRACKED_SLOT: { readonly [F in TrackedField]: 'status' | 'grade' | 'score' } = {
  status: 'status',
  grade: 'grade',
  score: 'score',
  winRate: 'score',
};

/** The upstream services Watchpost talks to; each resource type belongs to one. */
export const PROVIDERS = {
  adaption: { name: 'Adaption Labs', settings: 'ADAPTION_API_KEY' },
  deepopinion: { name: 'DeepOpinion', settings: 'DEEPOPINION_TOKEN, or DEEPOPINION_EMAIL and DEEPOPINION_PASSWORD' },
} as const;
export type ProviderId = keyof typeof PROVIDERS;

/**
 * What one resource type declares, in one place: how its reference is
 * validated and named, which fields it can be watched on, and which of its
 * statuses are outcomes and which are final. The layers that need a fact
 * about a type (API validation, subscription filters, texts, sweeps, links)
 * read it from here instead of switching on the type themselves.
 */
export interface ResourceTypeDeclaration<R extends { type: string }> {
  readonly type: R['type'];
  readonly provider: ProviderId;
  /** How people call one, e.g. `Adaption dataset` (console, CLI). */
  readonly title: string;
  /** How messages call several, e.g. `correction sessions have no grade`. */
  readonly plural: string;
  /** The reference's schema: ids are validated here, before they reach a URL. */
  readonly refSchema: z.ZodType<R>;
  /** The fields a watch of this type may notify on. */
  readonly trackable: readonly TrackedField[];
  /** What a watch notifies on when its creator does not say. */
  readonly defaultNotifyOn: readonly TrackedField[];
  /** Statuses that end a job (subscription filters for outcomes). */
  readonly outcomeStatuses: readonly string[];
  /**
   * Statuses after which the resource changes only by going away: a watch
   * settled in one is quiet (looked at once per full-refresh period). Empty
   * when the resource can start again (a dataset can be run again).
   */
  readonly finalStatuses: readonly string[];
  /**
   * Statuses in which the job is working and should keep moving: a watch
   * with `stalledAfterMinutes` hears `resource.stalled` when neither its
   * progress nor its `updated_at` has moved for that long in one of these.
   */
  readonly runningStatuses: readonly string[];
  /** A key unique across providers: used for idempotent registration. */
  key(ref: R): string;
  /** CloudEvents `subject`: the resource's path as the provider names it. */
  subject(ref: R): string;
  /** Short human name, for subjects and chat messages. */
  shortName(ref: R): string;
  /** The `{name}` values a link template for this type may use. */
  linkValues(ref: R): Record<string, string>;
  /** What texts call the snapshot's `score` figure (a run's is its best win rate). */
  readonly scoreLabel: string;
  /**
   * One sentence on where the resource stands, for email and chat texts, from
   * its snapshot; undefined when the generic fields (status, grade, score,
   * progress) already say it all.
   */
  summary?(snapshot: SnapshotFigures): string | undefined;
}

/** The parts of a snapshot a summary reads (kept structural so this module stays below snapshot.ts). */
export interface SnapshotFigures {
  status: string;
  score: number | null;
  details: Record<string, unknown>;
}
