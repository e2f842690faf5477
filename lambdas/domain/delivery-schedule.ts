/**
 * When a failed delivery is tried again: roughly 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h and 10 h after each failure (the Standard Webhooks schedule),
 * with ±10% jitter so a receiver's outage does not end in a thundering herd.
 * After the last one the delivery goes to the dead-letter queue.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const RETRY_DELAYS_MS = [5_000, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Delay before attempt `attempts + 1`, or undefined when the attempts are used up. */
export function retryDelayMs(attemptsMade: number, random: () => number): number | undefined {
  const base = RETRY_DELAYS_MS[attemptsMade - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (0.9 + 0.2 * random()));
}
