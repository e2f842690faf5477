import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runEvery } from '../../lambdas/local/run-every';

describe('runEvery', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts each run one interval after the previous start, however long the run took', async () => {
    const starts: number[] = [];
    const stop = runEvery(100, async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    const origin = Date.now();

    await vi.advanceTimersByTimeAsync(350);
    stop();

    expect(starts.map((t) => t - origin)).toEqual([0, 100, 200, 300]);
  });

  it('starts the next run at once when a run overran its interval, and never two at once', async () => {
    const starts: number[] = [];
    let running = 0;
    let overlapped = false;
    const stop = runEvery(100, async () => {
      overlapped ||= running > 0;
      running += 1;
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, starts.length === 1 ? 150 : 10));
      running -= 1;
    });
    const origin = Date.now();

    await vi.advanceTimersByTimeAsync(300);
    stop();

    const [first, second, third] = starts.map((t) => t - origin);
    expect(first).toBe(0);
    // "At once" is the next timer turn (Node's shortest timeout is 1 ms).
    expect(second).toBeGreaterThanOrEqual(150);
    expect(second).toBeLessThanOrEqual(151);
    expect(third! - second!).toBe(100);
    expect(overlapped).toBe(false);
  });

  it('runs nothing more once stopped', async () => {
    let runs = 0;
    const stop = runEvery(100, async () => {
      runs += 1;
    });
    stop();

    await vi.advanceTimersByTimeAsync(500);

    expect(runs).toBe(1);
  });
});
