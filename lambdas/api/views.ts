import type { Subscription } from '../adapters/dynamo/subscription-store';
import { deliveryFigures } from '../domain/delivery-figures';
import { subscriptionHealth, watchHealth } from '../domain/health';
import type { Watch } from '../domain/watch';

/** How a watch looks to its team: no outbox, no version internals. */
export function watchView(watch: Watch) {
  return {
    id: watch.watchId,
    resource: watch.resource,
    notifyOn: watch.notifyOn,
    label: watch.label,
    paused: watch.paused,
    stalledAfterMinutes: watch.stalledAfterMinutes,
    state: watch.state,
    current: watch.snapshot,
    lastPolledAt: watch.lastPolledAt,
    lastError: watch.lastError,
    consecutiveFailures: watch.consecutiveFailures,
    failingSince: watch.failingSince ?? null,
    lastChangeAt: watch.lastChangeAt ?? null,
    health: watchHealth({ ...watch, current: watch.snapshot }),
    createdAt: watch.createdAt,
  };
}

/**
 * How a subscription looks to its team, with its health and its last 24 h
 * figures as of `now` (read from the item's hourly buckets: no extra read).
 * The secret is added only when it is created.
 */
export function subscriptionView(subscription: Subscription, now: Date) {
  const last24h = deliveryFigures(subscription.deliveryHours ?? [], now);
  return {
    id: subscription.id,
    channel: subscription.channel,
    ...(subscription.address ? { address: subscription.address } : {}),
    ...(subscription.url ? { url: subscription.url } : {}),
    filter: subscription.filter,
    quietHours: subscription.quietHours ?? null,
    digest: subscription.digest ?? null,
    status: subscription.status,
    description: subscription.description ?? null,
    paused: Boolean(subscription.pausedAt),
    pausedAt: subscription.pausedAt ?? null,
    disabledAt: subscription.disabledAt ?? null,
    disabledReason: subscription.disabledReason ?? null,
    failingSince: subscription.failingSince ?? null,
    health: subscriptionHealth(subscription, last24h),
    last24h,
    lastSuccessAt: subscription.lastSuccessAt ?? null,
    lastFailureAt: subscription.lastFailureAt ?? null,
    ...(subscription.channel === 'webhook' ? { previousSecretExpiresAt: subscription.previousSecretExpiresAt ?? null } : {}),
    createdAt: subscription.createdAt,
  };
}
