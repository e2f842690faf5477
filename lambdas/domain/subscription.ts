import type { HourBucket } from './delivery-figures';
import { EVENT_TYPES, type WatchEvent } from './events';
import type { ResourceType, TrackedField } from './resource';
import { GRADES } from './snapshot';
import type { Digest } from './digest';
import type { QuietHours } from './quiet-hours';
import { NOTICE_TYPES, type DisabledReason } from './subscription-notice';

/** Every channel a subscription can use. Email is SNS's; the others Watchpost POSTs itself. */
export const CHANNELS = ['email', 'slack', 'teams', 'discord', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];
/** Channels whose receiver is a URL Watchpost POSTs to (retried, SSRF-guarded, disabled when failing). */
export const POSTED_CHANNELS = ['slack', 'teams', 'discord', 'webhook'] as const;
export type PostedChannel = (typeof POSTED_CHANNELS)[number];
/** Chat channels: a message for people, rendered from the event. */
export const CHAT_CHANNELS = ['slack', 'teams', 'discord'] as const;
export type ChatChannel = (typeof CHAT_CHANNELS)[number];

export function isPostedChannel(channel: Channel): channel is PostedChannel {
  return channel !== 'email';
}
export type SubscriptionStatus = 'active' | 'pending_confirmation' | 'disabled';

import type { FilterableEventType, GradeFilter } from './filter-options';

export { FILTERABLE_EVENT_TYPES, GRADE_FILTERS, type FilterableEventType, type GradeFilter } from './filter-options';

/**
 * Every field is optional and they combine with AND. `watchIds`,
 * `resourceTypes` and `eventTypes` apply to every event; `changes`,
 * `statuses` and `grade` narrow change events only, since lifecycle events
 * (gone, failing, recovered) say the watch itself needs attention; leave
 * those out with `eventTypes`.
 */
export interface SubscriptionFilter {
  watchIds?: string[] | undefined;
  resourceTypes?: ResourceType[] | undefined;
  changes?: TrackedField[] | undefined;
  /** A change is delivered only when the resource's new status is one of these. */
  statuses?: string[] | undefined;
  eventTypes?: FilterableEventType[] | undefined;
  grade?: GradeFilter | undefined;
}

/** How an event moved the grade, if it did: the one reading both delivery paths use. */
export type GradeMove = 'improved' | 'worsened' | 'appeared' | 'removed' | 'other';

export function gradeMoveOf(event: WatchEvent): GradeMove | undefined {
  const change = event.data.changes.find((c) => c.field === 'grade');
  if (!change) return undefined;
  const rank = (grade: string | number | null) => (typeof grade === 'string' ? (GRADES as readonly string[]).indexOf(grade) : -1);
  if (change.from === null) return change.to === null ? undefined : 'appeared';
  if (change.to === null) return 'removed';
  const [from, to] = [rank(change.from), rank(change.to)];
  if (from < 0 || to < 0) return 'other';
  return to < from ? 'improved' : 'worsened';
}

function filterableType(event: WatchEvent): string {
  return event.type.replace(/^io\.watchpost\./, '');
}

export interface Subscription {
  id: string;
  team: string;
  channel: Channel;
  /** Email address (email channel). */
  address?: string | undefined;
  /** Receiver URL (slack, teams, discord and webhook channels). */
  url?: string | undefined;
  filter: SubscriptionFilter | null;
  status: SubscriptionStatus;
  createdAt: string;
  /** The team's own note on what this subscription is for. */
  description?: string | null | undefined;
  /** When it was paused: a paused subscription receives nothing, and nothing is kept for later. */
  pausedAt?: string | null | undefined;
  /** Posted channels only: a daily window in which events are held until it ends, urgent ones excepted. */
  quietHours?: QuietHours | null | undefined;
  /** Posted channels only: at most one message per period, listing the period's events (webhooks: a CloudEvents batch). */
  digest?: Digest | null | undefined;
  /**
   * Webhook signing secret, sealed (see SecretBox): the plaintext is shown
   * once at creation and otherwise exists only in memory while signing.
   */
  secret?: string | undefined;
  /**
   * After a rotation, the previous secret (sealed) keeps signing deliveries
   * beside the new one until `previousSecretExpiresAt`, so receivers can
   * switch without losing a message.
   */
  previousSecret?: string | null | undefined;
  previousSecretExpiresAt?: string | null | undefined;
  /** SNS subscription ARN of an email subscription. */
  snsSubscriptionArn?: string | undefined;
  /** Delivery counters, kept by the delivery store. */
  deliveredCount?: number | undefined;
  failedCount?: number | undefined;
  lastSuccessAt?: string | undefined;
  lastFailureAt?: string | undefined;
  /**
   * Start of the current unbroken run of failed deliveries, cleared by the
   * next success (kept by the delivery store beside the counters). A posted
   * (webhook or chat) subscription failing for longer than the service's
   * disable-after period is disabled.
   */
  failingSince?: string | undefined;
  /** The last 24 hours of attempts, by the hour (see delivery-figures.ts), kept by the delivery store. */
  deliveryHours?: HourBucket[] | undefined;
  /** When and why deliveries were turned off (see DisabledReason); `PATCH {"paused": false}` turns them back on. */
  disabledAt?: string | undefined;
  disabledReason?: DisabledReason | undefined;
}

/** Whether events go to this subscription now: confirmed (or not needing it), not disabled, not paused. */
export function isDeliverable(subscription: Pick<Subscription, 'status' | 'pausedAt'>): boolean {
  return subscription.status === 'active' && !subscription.pausedAt;
}

/** What a subscription's sealed secret is bound to: it opens for this subscription only. */
export function secretContext(subscription: Pick<Subscription, 'team' | 'id'>): Record<string, string> {
  return { team: subscription.team, subscription: subscription.id };
}

/**
 * Whether an event reaches a subscription. The team always has to match;
 * then every list the filter gives. `changes` narrows change events only:
 * lifecycle events (gone, failing, recovered) still reach the subscription,
 * since they say the watch itself needs attention.
 */
export function matchesSubscription(event: WatchEvent, subscription: Subscription): boolean {
  if (event.data.team !== subscription.team) return false;
  const filter = subscription.filter;
  if (!filter) return true;
  if (filter.watchIds && !filter.watchIds.includes(event.data.watchId)) return false;
  if (filter.resourceTypes && !filter.resourceTypes.includes(event.data.resource.type)) return false;
  if (filter.eventTypes && !(filter.eventTypes as readonly string[]).includes(filterableType(event))) return false;
  if (event.type !== EVENT_TYPES.changed) return true;
  if (filter.changes && !event.data.changes.some((change) => filter.changes?.includes(change.field))) return false;
  if (filter.statuses && !filter.statuses.includes(event.data.current?.status ?? '')) return false;
  if (filter.grade) {
    const move = gradeMoveOf(event);
    if (move === undefined || (filter.grade !== 'any' && move !== filter.grade)) return false;
  }
  return true;
}

/**
 * The same rule as an SNS subscription filter policy, for email
 * subscriptions that SNS delivers itself (see sns-publisher's attributes).
 * A top-level `$or` of flat branches (SNS takes no nested policies on message
 * attributes): change events that pass the change-only conditions, the other
 * event types the filter lets through, and the team's notices (a disabled
 * webhook, say), which reach every email subscription of the team whatever
 * its filter.
 */
export function snsFilterPolicy(subscription: Pick<Subscription, 'team' | 'filter'>): Record<string, unknown> {
  const filter = subscription.filter;
  const common: Record<string, unknown> = { team: [subscription.team] };
  if (filter?.watchIds) common.watchId = filter.watchIds;
  if (filter?.resourceTypes) common.resourceType = filter.resourceTypes;
  const allowed = filter?.eventTypes?.map((type) => `io.watchpost.${type}`);
  // What narrows change events only.
  const ofChanges: Record<string, unknown> = {};
  if (filter?.changes) ofChanges.changedFields = filter.changes;
  if (filter?.statuses) ofChanges.status = filter.statuses;
  if (filter?.grade) ofChanges.gradeMove = filter.grade === 'any' ? [{ exists: true }] : [filter.grade];
  const branches: Array<Record<string, unknown>> = [];
  if (Object.keys(ofChanges).length === 0) {
    branches.push(allowed ? { ...common, eventType: allowed } : common);
  } else {
    if (!allowed || allowed.includes(EVENT_TYPES.changed)) branches.push({ ...common, eventType: [EVENT_TYPES.changed], ...ofChanges });
    const others = allowed?.filter((type) => type !== EVENT_TYPES.changed);
    if (!others) branches.push({ ...common, eventType: [{ 'anything-but': EVENT_TYPES.changed }] });
    else if (others.length > 0) branches.push({ ...common, eventType: others });
  }
  branches.push({ team: [subscription.team], eventType: [NOTICE_TYPES.subscriptionDisabled] });
  return { $or: branches };
}

/**
 * The filter policy an email subscription should have now: its filter's, or
 * while it is paused one that no message can match (no event has this type),
 * so SNS sends nothing and nothing waits for the resume.
 */
export function currentSnsFilterPolicy(subscription: Pick<Subscription, 'team' | 'filter' | 'pausedAt'>): Record<string, unknown> {
  if (subscription.pausedAt) return { team: [subscription.team], eventType: [PAUSED_EVENT_TYPE] };
  return snsFilterPolicy(subscription);
}

/** Never published: the event type a paused email subscription's policy waits for. */
export const PAUSED_EVENT_TYPE = 'io.watchpost.subscription.paused';

/** What the notices' branch of every email filter policy adds to its value combinations. */
const NOTICE_COMBINATIONS = 1;

/** SNS's limits on one subscription filter policy (Amazon SNS developer guide, "Filter policy constraints"). */
export const SNS_FILTER_LIMITS = { keys: 5, combinations: 150, bytes: 256 * 1024 } as const;

/**
 * What SNS counts in a filter policy: its distinct attribute keys, its value
 * combinations (the product of each key's number of values; an `$or`
 * contributes the sum over its branches) and its size.
 */
export function filterPolicyComplexity(policy: Record<string, unknown>): { keys: number; combinations: number; bytes: number } {
  const keys = new Set<string>();
  const combinations = (node: Record<string, unknown>): number =>
    Object.entries(node).reduce((product, [key, value]) => {
      if (key === '$or') return product * (value as Array<Record<string, unknown>>).reduce((sum, branch) => sum + combinations(branch), 0);
      keys.add(key);
      return product * (Array.isArray(value) ? Math.max(value.length, 1) : 1);
    }, 1);
  const total = combinations(policy);
  return { keys: keys.size, combinations: total, bytes: Buffer.byteLength(JSON.stringify(policy), 'utf8') };
}

/**
 * Why SNS would refuse the email filter policy of this subscription, naming
 * the filter field to narrow; undefined when it fits. Checked before
 * Subscribe, so a team gets a 422 it can act on instead of a rejected call.
 */
export function emailFilterProblem(subscription: Pick<Subscription, 'team' | 'filter'>): { path: string; message: string } | undefined {
  const policy = snsFilterPolicy(subscription);
  const { keys, combinations, bytes } = filterPolicyComplexity(policy);
  const filter = subscription.filter ?? {};
  if (combinations > SNS_FILTER_LIMITS.combinations) {
    // The notices' branch costs one combination whatever the filter; the rest grows with each watch id.
    const perWatch = (combinations - NOTICE_COMBINATIONS) / Math.max(filter.watchIds?.length ?? 1, 1);
    // The list with the most values is the one to narrow.
    const lists = (['watchIds', 'statuses', 'eventTypes', 'resourceTypes', 'changes'] as const).map((field) => [field, filter[field]?.length ?? 0] as const);
    const [widest] = lists.reduce((best, candidate) => (candidate[1] > best[1] ? candidate : best));
    const path = `filter.${widest}`;
    const hint = path === 'filter.watchIds' ? ` (at most ${Math.max(1, Math.floor((SNS_FILTER_LIMITS.combinations - NOTICE_COMBINATIONS) / perWatch))} watch ids with these resource types and changes)` : '';
    return {
      path,
      message: `makes an email filter of ${combinations} value combinations, over SNS's limit of ${SNS_FILTER_LIMITS.combinations}: narrow it${hint}, or use a webhook or Slack subscription, which has no such limit`,
    };
  }
  if (keys > SNS_FILTER_LIMITS.keys) {
    const given = Object.keys(filter).filter((field) => filter[field as keyof SubscriptionFilter] !== undefined);
    return {
      path: 'filter',
      message: `makes an email filter of ${keys} attribute keys (the team, and one for each of ${given.join(', ')}), over SNS's limit of ${SNS_FILTER_LIMITS.keys}: drop ${keys - SNS_FILTER_LIMITS.keys} of these fields, or use a webhook or Slack subscription`,
    };
  }
  if (bytes > SNS_FILTER_LIMITS.bytes) return { path: 'filter', message: `makes an email filter of ${bytes} bytes, over SNS's limit of ${SNS_FILTER_LIMITS.bytes}` };
  return undefined;
}
