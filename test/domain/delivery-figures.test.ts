import { describe, expect, it } from 'vitest';
import { deliveryFigures, emptyBucket, hourOf, LATENCY_EDGES_MS, latencyBin, slotOf, type HourBucket } from '../../lambdas/domain/delivery-figures';

/** The last 24 h figures from hourly buckets: counts exact, latency by bin edges. */
const NOW = new Date('2026-12-04T10:30:00.000Z');
const H = hourOf(NOW);
const bucket = (hour: number, delivered: number, failed: number, latency: Record<number, number> = {}): HourBucket => {
  const b = emptyBucket(hour);
  b.delivered = delivered;
  b.failed = failed;
  for (const [bin, count] of Object.entries(latency)) b.latency[Number(bin)] = count;
  return b;
};

describe('hours and slots', () => {
  it('counts hours since the epoch and wraps them into 24 slots', () => {
    expect(hourOf(new Date('1970-01-01T00:59:59.999Z'))).toBe(0);
    expect(hourOf(new Date('1970-01-01T01:00:00.000Z'))).toBe(1);
    expect([slotOf(0), slotOf(23), slotOf(24), slotOf(49), slotOf(-1)]).toEqual([0, 23, 0, 1, 23]);
  });

  it.each([
    [0, 0],
    [10, 0],
    [10.5, 1],
    [25, 1],
    [26, 2],
    [1_000, 6],
    [30_000, 10],
    [30_001, 11],
  ])('puts %s ms in bin %s', (ms, bin) => {
    expect(latencyBin(ms)).toBe(bin);
  });

  it('starts a bucket with every count at zero, one latency bin per edge and one open bin', () => {
    expect(emptyBucket(7)).toEqual({ hour: 7, delivered: 0, failed: 0, latency: new Array(LATENCY_EDGES_MS.length + 1).fill(0) });
  });
});

describe('figures over the last 24 hours', () => {
  it('sums the current hour and the 23 before it, and nothing older or newer', () => {
    const figures = deliveryFigures([bucket(H, 3, 1), bucket(H - 23, 2, 0), bucket(H - 24, 100, 100), bucket(H + 1, 50, 50), undefined], NOW);

    expect(figures).toMatchObject({ since: '2026-12-03T11:00:00.000Z', delivered: 5, failed: 1 });
    expect(figures.successRate).toBeCloseTo(5 / 6, 10);
  });

  it('has no rate and no latency with no attempt', () => {
    expect(deliveryFigures([], NOW)).toEqual({ since: '2026-12-03T11:00:00.000Z', delivered: 0, failed: 0, successRate: null, latencyMs: { timed: 0, p50: null, p95: null } });
  });

  it('reads p50 and p95 as the upper edges of the bins they fall in, across buckets', () => {
    // 20 timed attempts: 10 under 10 ms, 9 under 250 ms, 1 under 5 s.
    const figures = deliveryFigures([bucket(H, 10, 0, { 0: 10 }), bucket(H - 5, 9, 1, { 4: 9, 8: 1 })], NOW);

    expect(figures.latencyMs).toEqual({ timed: 20, p50: 10, p95: 250 });
  });

  it('moves p95 to the slow bin once more than 5% are slow', () => {
    const figures = deliveryFigures([bucket(H, 20, 0, { 0: 18, 8: 2 })], NOW);

    expect(figures.latencyMs).toEqual({ timed: 20, p50: 10, p95: 5_000 });
  });

  it('reads a percentile beyond the last edge as null while still counting the attempt', () => {
    const figures = deliveryFigures([bucket(H, 1, 0, { [LATENCY_EDGES_MS.length]: 1 })], NOW);

    expect(figures.latencyMs).toEqual({ timed: 1, p50: null, p95: null });
    expect(figures.successRate).toBe(1);
  });

  it('reads one attempt as its own percentiles', () => {
    expect(deliveryFigures([bucket(H, 1, 0, { 3: 1 })], NOW).latencyMs).toEqual({ timed: 1, p50: 100, p95: 100 });
  });
});
