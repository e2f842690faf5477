import { EVENT_TYPES, type WatchEvent } from './events';
import type { ResourceType, TrackedField } from './resource';

export type Channel = 'email' | 'slack' | 'webhook';
export type SubscriptionStatus = 'active' | 'pending_confirmation' | 'disabled';

export interface SubscriptionFilter {
  watchIds?: string[] | undefined;
  resourceTypes?: ResourceType[] | undefined;
  changes?: TrackedField[] | undefined;
}

export interface Subscription {
  id: string;
  team: string;
  channel: Channel;
  /** Email address (email channel). */
  address?: string | undefined;
  /** Receiver URL (slack and webhook channels). */
  url?: string | undefined;
  filter: SubscriptionFilter | null;
  status: SubscriptionStatus;
  createdAt: string;
  /**
   * Webhook signing secret, sealed (see SecretBox): the plaintext is shown
   * once at creation and otherwise exists only in memory while signing.
   */
  secret?: string | undefined;
  /** SNS subscription ARN of an email subscription. */
  snsSubscriptionArn?: string | undefined;
  /** Delivery counters, kept by the delivery store. */
  deliveredCount?: number | undefined;
  failedCount?: number | undefined;
  lastSuccessAt?: string | undefined;
  lastFailureAt?: string | undefined;
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
  if (filter.changes && event.type === EVENT_TYPES.changed) {
    if (!event.data.changes.some((change) => filter.changes?.includes(change.field))) return false;
  }
  return true;
}

/**
 * The same rule as an SNS subscription filter policy, for email
 * subscriptions that SNS delivers itself (see sns-publisher's attributes).
 */
export function snsFilterPolicy(subscription: Pick<Subscription, 'team' | 'filter'>): Record<string, unknown> {
  const policy: Record<string, unknown> = { team: [subscription.team] };
  const filter = subscription.filter;
  if (filter?.watchIds) policy.watchId = filter.watchIds;
  if (filter?.resourceTypes) policy.resourceType = filter.resourceTypes;
  if (filter?.changes) {
    policy.$or = [{ changedFields: filter.changes }, { eventType: [{ 'anything-but': EVENT_TYPES.changed }] }];
  }
  return policy;
}
