/**
 * One health model for watches and subscriptions: what each one's state is
 * at a glance, and how urgently it wants attention. The API exposes it as
 * `health` and the console draws its badges, sorting and summary from the
 * same values, so the two cannot tell different stories.
 */
import type { DeliveryFigures } from './delivery-figures';

/** How urgently something wants a person, most urgent first: lists sort by this, then by last change. */
export const ATTENTION_ORDER = ['critical', 'warning', 'notice', 'ok', 'idle'] as const;
export type Attention = (typeof ATTENTION_ORDER)[number];

export function attentionRank(attention: Attention): number {
  return ATTENTION_ORDER.indexOf(attention);
}

/**
 * Where a resource's run stands, whatever the provider calls it. Statuses a
 * provider adds later read as `unknown` (shown as they are), never as an error.
 */
export type StatusPhase = 'pending' | 'running' | 'awaiting_input' | 'succeeded' | 'failed' | 'cancelled' | 'ending' | 'unknown';

const PHASES: Record<string, StatusPhase> = {
  // Adaption Labs datasets and AutoScientist runs (lower case).
  pending: 'pending',
  running: 'running',
  awaiting_input: 'awaiting_input',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  // DeepOpinion correction sessions (upper case).
  CREATED: 'pending',
  STARTED: 'running',
  ANNOTATING: 'running',
  SAMPLING: 'running',
  PREDICTING: 'running',
  FINISHED: 'succeeded',
  FAILED: 'failed',
  DELETING: 'ending',
};

export function statusPhase(status: string | null | undefined): StatusPhase {
  if (status === null || status === undefined) return 'unknown';
  return Object.hasOwn(PHASES, status) ? (PHASES[status] as StatusPhase) : 'unknown';
}

export type WatchDisplayState =
  | 'gone'
  | 'failing'
  | 'erroring'
  | 'paused'
  | 'baseline'
  | 'pending'
  | 'running'
  | 'awaiting_input'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'ending'
  | 'unknown';

export interface WatchHealth {
  state: WatchDisplayState;
  attention: Attention;
  /** A short label for a badge: "failing ×12", "awaiting input", or an unknown status as the provider wrote it. */
  label: string;
  /** Checks failed in a row (the upstream could not be read), 0 when the last one worked. */
  failures: number;
  /** Failing or erroring: since when (the first failure of the run, or else the last error's time). */
  since: string | null;
}

/** What the health of a watch is built from: its API view's fields. */
export interface WatchHealthInput {
  state: string;
  paused: boolean;
  consecutiveFailures: number;
  lastError: { at: string } | null;
  /** When the current run of failed checks began, if the store keeps it. */
  failingSince?: string | null | undefined;
  current: { status: string } | null;
}

/** After this many failed checks in a row a watch is failing (`watch.failing` is sent); the poller's default. */
export const DEFAULT_FAILURE_THRESHOLD = 5;

const PHASE_ATTENTION: Record<StatusPhase, Attention> = {
  failed: 'warning',
  awaiting_input: 'warning',
  unknown: 'notice',
  ending: 'notice',
  pending: 'ok',
  running: 'ok',
  succeeded: 'ok',
  cancelled: 'ok',
};

/**
 * A watch's one display state. What Watchpost cannot see comes first (gone,
 * failing checks), then a pause, then what the resource itself says; a
 * failed check or two under the threshold shows as `erroring` beside nothing
 * else, since the last known status may be stale.
 */
export function watchHealth(watch: WatchHealthInput, failureThreshold = DEFAULT_FAILURE_THRESHOLD): WatchHealth {
  const failures = watch.consecutiveFailures;
  const since = failures > 0 ? (watch.failingSince ?? watch.lastError?.at ?? null) : null;
  const base = { failures, since };
  if (watch.state === 'gone') return { ...base, state: 'gone', attention: 'warning', label: 'gone' };
  if (watch.paused) return { ...base, state: 'paused', attention: 'idle', label: 'paused' };
  if (failures >= failureThreshold) return { ...base, state: 'failing', attention: 'critical', label: `failing ×${failures}` };
  if (failures > 0) return { ...base, state: 'erroring', attention: 'notice', label: `check failed ×${failures}` };
  if (watch.current === null) return { ...base, state: 'baseline', attention: 'ok', label: 'first check pending' };
  const phase = statusPhase(watch.current.status);
  const label = phase === 'unknown' ? watch.current.status : phase === 'awaiting_input' ? 'awaiting input' : phase;
  return { ...base, state: phase, attention: PHASE_ATTENTION[phase], label };
}

export type SubscriptionHealthState = 'healthy' | 'degraded' | 'failing' | 'paused' | 'disabled' | 'unconfirmed';

export interface SubscriptionHealth {
  state: SubscriptionHealthState;
  attention: Attention;
  /** Why, in a few words: "receiver answered 410 Gone", "62% delivered in 24 h", "no delivery in 24 h since …". */
  reason: string | null;
}

export interface SubscriptionHealthInput {
  status: string;
  pausedAt?: string | null | undefined;
  disabledReason?: string | null | undefined;
  failingSince?: string | null | undefined;
}

/** Below this success rate over 24 h a subscription is degraded. */
export const DEGRADED_BELOW = 0.95;

const percent = (rate: number) => `${Math.floor(rate * 100)}%`;

/**
 * A subscription's one display state, from its status and its last 24 hours:
 * disabled and paused say so whatever the figures; failing means every
 * delivery has failed since `failingSince` and none got through in 24 h;
 * degraded, that some did but the run of failures is under way or fewer
 * than 95% got through.
 */
export function subscriptionHealth(subscription: SubscriptionHealthInput, figures: Pick<DeliveryFigures, 'delivered' | 'failed' | 'successRate'>): SubscriptionHealth {
  if (subscription.status === 'disabled') {
    const reason = subscription.disabledReason === 'gone' ? 'receiver answered 410 Gone' : subscription.disabledReason === 'failing' ? 'every delivery failed for days' : 'turned off';
    return { state: 'disabled', attention: 'critical', reason };
  }
  if (subscription.pausedAt) return { state: 'paused', attention: 'idle', reason: null };
  if (subscription.status === 'pending_confirmation') return { state: 'unconfirmed', attention: 'notice', reason: 'waiting for the recipient to confirm' };
  const rate = figures.successRate;
  if (subscription.failingSince) {
    if (figures.delivered === 0) return { state: 'failing', attention: 'critical', reason: rate === null ? 'failing, no attempt in 24 h' : `0% delivered in 24 h` };
    return { state: 'degraded', attention: 'warning', reason: `failing now; ${percent(rate ?? 0)} delivered in 24 h` };
  }
  if (rate !== null && rate < DEGRADED_BELOW) return { state: 'degraded', attention: 'warning', reason: `${percent(rate)} delivered in 24 h` };
  return { state: 'healthy', attention: 'ok', reason: rate === null ? 'no attempt in 24 h' : `${percent(rate)} delivered in 24 h` };
}
