import { createHash } from 'node:crypto';
import { EVENT_TYPES, type WatchEvent } from './events';
import { holdUntil, type QuietHours } from './quiet-hours';

/**
 * A subscription's digest: at most one message per period, listing the
 * events of that period. Periods are aligned to the epoch (a 15-minute digest
 * goes out at :00, :15, :30 and :45 UTC), so every process that sees an event
 * agrees on the digest it belongs to without asking anyone.
 */
export interface Digest {
  everyMinutes: number;
}

export const DIGEST_MINUTES = { min: 1, max: 1_440 } as const;

/** How many events a chat digest lists; the rest are counted ("and 12 more"). */
export const DIGEST_LIST_LIMIT = 20;

/** The end of the period `now` falls in: when its digest goes out. */
export function periodEnd(digest: Digest, now: Date): Date {
  const period = digest.everyMinutes * 60_000;
  return new Date((Math.floor(now.getTime() / period) + 1) * period);
}

/**
 * When an event that reaches a digest subscription goes out: with its
 * period's digest, or, in quiet hours, with the digest that goes out when the
 * window ends (one message for the whole night). The test event is never
 * batched: someone is waiting for it.
 */
export function digestRelease(subscription: { digest?: Digest | null | undefined; quietHours?: QuietHours | null | undefined }, event: WatchEvent, now: Date): Date | undefined {
  if (!subscription.digest || event.type === EVENT_TYPES.test) return undefined;
  return holdUntil(subscription.quietHours, event, now) ?? periodEnd(subscription.digest, now);
}

/**
 * A digest's id, derived from what it carries: the subscription and its
 * events' ids, in a fixed order. A retry of one digest carries the same id
 * (a webhook receiver deduplicates on `webhook-id`), a digest of other
 * events another.
 */
export function digestId(subscriptionId: string, eventIds: readonly string[]): string {
  const digest = createHash('sha256').update(`${subscriptionId}#digest#${[...eventIds].sort().join(',')}`).digest('hex');
  return `dig_${digest.slice(0, 32)}`;
}

/**
 * A digest's events in reading order: grouped by watch (the groups in the
 * order their first events happened), each watch's events oldest first, so
 * its newest state is its last line.
 */
export function digestOrder(events: readonly WatchEvent[]): WatchEvent[][] {
  const byTime = [...events].sort((a, b) => a.time.localeCompare(b.time) || Number(a.sequence) - Number(b.sequence));
  const groups = new Map<string, WatchEvent[]>();
  for (const event of byTime) {
    const group = groups.get(event.data.watchId) ?? [];
    group.push(event);
    groups.set(event.data.watchId, group);
  }
  return [...groups.values()].map((group) => group.sort((a, b) => Number(a.sequence) - Number(b.sequence) || a.time.localeCompare(b.time)));
}

/** The events of a webhook digest, as a CloudEvents JSON batch: an array, in the digest's reading order. */
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

export function cloudEventsBatch(events: readonly WatchEvent[]): WatchEvent[] {
  return digestOrder(events).flat();
}

/** What a chat digest says, before any channel's syntax. */
export interface DigestSummary {
  title: string;
  total: number;
  groups: Array<{ watchId: string; title: string; events: WatchEvent[] }>;
  /** Events left out past DIGEST_LIST_LIMIT (the oldest go first, so each watch keeps its newest state). */
  more: number;
  context: string;
}

export function digestSummary(events: readonly WatchEvent[], releaseAt: Date, limit = DIGEST_LIST_LIMIT): DigestSummary {
  const kept = new Set([...events].sort((a, b) => b.time.localeCompare(a.time)).slice(0, limit));
  const groups = digestOrder(events)
    .map((group) => group.filter((event) => kept.has(event)))
    .filter((group) => group.length > 0)
    .map((group) => {
      const newest = group[group.length - 1] as WatchEvent;
      return { watchId: newest.data.watchId, title: newest.data.label ? `${newest.data.label} (${newest.subject})` : newest.subject, events: group };
    });
  const team = events[0]?.data.team ?? '';
  const count = `${events.length} event${events.length === 1 ? '' : 's'}`;
  return {
    title: `Watchpost digest: ${count}`,
    total: events.length,
    groups,
    more: events.length - kept.size,
    context: `team ${team} · until ${releaseAt.toISOString()}`,
  };
}

/** `HH:MM` UTC of an event, for a digest line. */
export function clockTime(event: WatchEvent): string {
  return event.time.slice(11, 16);
}
