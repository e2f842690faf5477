import type { Channel } from './subscription';

/**
 * Where a subscription's deliveries go, as notices and the console show it:
 * a webhook's host only (its path or query may hold a token), the chat
 * service's name (`Slack`, `Microsoft Teams`, `Discord`: their URLs are all
 * secrets), or the email address. Free of Node imports, so the console's bundle uses it too.
 */
export function deliveryTarget(subscription: { channel: Channel; url?: string | undefined; address?: string | undefined }): string {
  if (subscription.channel === 'email') return subscription.address ?? 'email';
  if (subscription.channel === 'slack') return 'Slack';
  if (subscription.channel === 'teams') return 'Microsoft Teams';
  if (subscription.channel === 'discord') return 'Discord';
  try {
    return new URL(subscription.url ?? '').host;
  } catch {
    return 'webhook';
  }
}
