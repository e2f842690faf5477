import { createHash } from 'node:crypto';
import { deliveryTarget } from './delivery-target';
import type { Channel, Subscription } from './subscription';


/**
 * Notices are about a team's subscriptions rather than a watched resource:
 * today one, sent when Watchpost stops delivering to an endpoint. They go to
 * the team's email subscriptions (the one channel that does not depend on the
 * endpoint that broke), never to webhooks or Slack.
 */
export const NOTICE_TYPES = { subscriptionDisabled: 'io.watchpost.subscription.disabled' } as const;

/** Why a subscription was disabled: it kept failing (`failing`), or its receiver answered 410 Gone (`gone`). */
export type DisabledReason = 'failing' | 'gone';

export interface SubscriptionDisabledData {
  team: string;
  subscriptionId: string;
  channel: Channel;
  /** Where deliveries went, without path or query (which may hold a token): the URL's host, or `Slack`. */
  target: string;
  description: string | null;
  reason: DisabledReason;
  /** Start of the unbroken run of failed deliveries (null for a 410, which disables at once). */
  failingSince: string | null;
  disabledAt: string;
  lastError: string | null;
}

export interface SubscriptionDisabledNotice {
  specversion: '1.0';
  id: string;
  source: string;
  type: typeof NOTICE_TYPES.subscriptionDisabled;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: SubscriptionDisabledData;
}

/**
 * The notice for one disabling. Its id derives from the subscription and the
 * moment it was disabled, so a retried publish carries the same id and a
 * later disabling (after a re-enable) a new one.
 */
export function buildDisabledNotice(
  subscription: Pick<Subscription, 'id' | 'team' | 'channel' | 'url' | 'address' | 'description'>,
  disabling: { reason: DisabledReason; failingSince: string | null; disabledAt: Date; lastError: string | null },
): SubscriptionDisabledNotice {
  const disabledAt = disabling.disabledAt.toISOString();
  const digest = createHash('sha256').update(`${subscription.id}#disabled#${disabledAt}`).digest('hex');
  return {
    specversion: '1.0',
    id: `evt_${digest.slice(0, 32)}`,
    source: `/watchpost/subscriptions/${subscription.id}`,
    type: NOTICE_TYPES.subscriptionDisabled,
    subject: `subscriptions/${subscription.id}`,
    time: disabledAt,
    datacontenttype: 'application/json',
    data: {
      team: subscription.team,
      subscriptionId: subscription.id,
      channel: subscription.channel,
      target: deliveryTarget(subscription),
      description: subscription.description ?? null,
      reason: disabling.reason,
      failingSince: disabling.failingSince,
      disabledAt,
      lastError: disabling.lastError,
    },
  };
}

/** The email subject: under SNS's 100 characters whatever the description. */
export function noticeHeadline(notice: SubscriptionDisabledNotice): string {
  const { data } = notice;
  const line = `Watchpost stopped delivering to ${data.channel} subscription ${data.subscriptionId} (${data.target})`;
  return line.length <= 99 ? line : `${line.slice(0, 98)}…`;
}

/** The plain-text email: what stopped, why, and the one call that turns it back on. */
export function noticeEmailText(notice: SubscriptionDisabledNotice): string {
  const { data } = notice;
  const why =
    data.reason === 'gone'
      ? 'The receiver answered 410 Gone, which says it no longer wants deliveries.'
      : `Every delivery to it has failed since ${data.failingSince ?? 'an unknown time'}.`;
  const lines = [
    noticeHeadline(notice),
    '',
    why,
    'It is disabled: it receives nothing, and events from now until it is re-enabled are not kept for it.',
    '',
    `Subscription: ${data.subscriptionId}${data.description ? ` (${data.description})` : ''}`,
    `Channel:      ${data.channel}, ${data.target}`,
    `Team:         ${data.team}`,
    `Disabled at:  ${data.disabledAt}`,
  ];
  if (data.lastError) lines.push(`Last error:   ${data.lastError}`);
  lines.push(
    '',
    'When the receiver works again, turn deliveries back on with',
    `  PATCH /v1/subscriptions/${data.subscriptionId}  {"paused": false}`,
    'and, if you want to check it first, POST /v1/subscriptions/{id}/test.',
    '',
    `Notice id: ${notice.id}`,
  );
  return lines.join('\n');
}
