/**
 * A subscription's delivery figures over the last 24 hours, kept as 24
 * hourly buckets on the subscription item: each attempt adds to the bucket
 * of its hour (one update, constant cost), and the figures are read by
 * summing the buckets of the last 24 hours, never by reading attempts back.
 * A bucket is reused a day later: its `hour` says which hour it holds, and a
 * bucket of an older hour is started afresh by the attempt that finds it.
 */

const HOUR_MS = 3_600_000;

/** How many hourly buckets a subscription holds: the window the figures cover. */
export const BUCKET_HOURS = 24;

/**
 * Upper edges (ms) of the latency histogram's bins; an attempt slower than
 * the last edge counts in a last, open bin. Percentiles are read as the
 * upper edge of the bin they fall in ("p95 ≤ 500 ms"), so the figures are
 * exact in counts and bounded in latency.
 */
export const LATENCY_EDGES_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000] as const;

/** One hour of one subscription's attempts. */
export interface HourBucket {
  /** Hours since the epoch (UTC) this bucket counts. */
  hour: number;
  delivered: number;
  failed: number;
  /** Attempts per latency bin: LATENCY_EDGES_MS.length + 1 counts, the last one open-ended. */
  latency: number[];
}

export interface DeliveryFigures {
  /** Start of the window: the first hour counted. */
  since: string;
  delivered: number;
  failed: number;
  /** delivered / (delivered + failed), 0 to 1; null with no attempt in the window. */
  successRate: number | null;
  /**
   * Latency of the attempts that were sent: `timed` of them; p50 and p95 are
   * the upper edges of the bins holding those percentiles, null when none was
   * timed or when the percentile lies beyond the last edge (slower than 30 s).
   */
  latencyMs: { timed: number; p50: number | null; p95: number | null };
}

export function hourOf(at: Date): number {
  return Math.floor(at.getTime() / HOUR_MS);
}

/** Which of the BUCKET_HOURS buckets an hour lands in. */
export function slotOf(hour: number): number {
  return ((hour % BUCKET_HOURS) + BUCKET_HOURS) % BUCKET_HOURS;
}

/** The latency bin of an attempt that took `ms`. */
export function latencyBin(ms: number): number {
  const index = LATENCY_EDGES_MS.findIndex((edge) => ms <= edge);
  return index === -1 ? LATENCY_EDGES_MS.length : index;
}

export function emptyBucket(hour: number): HourBucket {
  return { hour, delivered: 0, failed: 0, latency: new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0) };
}

/** The upper edge of the bin where the q-quantile of `total` timed attempts falls; null in the open bin. */
function quantileEdge(bins: readonly number[], total: number, q: number): number | null {
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let index = 0; index < LATENCY_EDGES_MS.length; index += 1) {
    seen += bins[index] ?? 0;
    if (seen >= rank) return LATENCY_EDGES_MS[index] ?? null;
  }
  return null;
}

/** The figures of the last BUCKET_HOURS hours (the current one included) at `now`, from whatever buckets the item holds. */
export function deliveryFigures(buckets: readonly (HourBucket | undefined)[], now: Date): DeliveryFigures {
  const current = hourOf(now);
  const first = current - BUCKET_HOURS + 1;
  const inWindow = buckets.filter((bucket): bucket is HourBucket => bucket !== undefined && bucket.hour >= first && bucket.hour <= current);
  const delivered = inWindow.reduce((sum, bucket) => sum + bucket.delivered, 0);
  const failed = inWindow.reduce((sum, bucket) => sum + bucket.failed, 0);
  const bins = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
  for (const bucket of inWindow) bucket.latency.forEach((count, index) => (bins[index] = (bins[index] ?? 0) + count));
  const timed = bins.reduce((sum, count) => sum + count, 0);
  return {
    since: new Date(first * HOUR_MS).toISOString(),
    delivered,
    failed,
    successRate: delivered + failed === 0 ? null : delivered / (delivered + failed),
    latencyMs: { timed, p50: timed === 0 ? null : quantileEdge(bins, timed, 0.5), p95: timed === 0 ? null : quantileEdge(bins, timed, 0.95) },
  };
}
