import type { Subscription } from '../adapters/dynamo/subscription-store';
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
    createdAt: watch.createdAt,
  };
}

/** How a subscription looks to its team. The secret is added only when it is created. */
export function subscriptionView(subscription: Subscription) {
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
    ...(subscription.channel === 'webhook' ? { previousSecretExpiresAt: subscription.previousSecretExpiresAt ?? null } : {}),
    createdAt: subscription.createdAt,
  };
}
