import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, BoundedPool, forEachBounded } from '../../lambdas/domain/concurrency';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BoundedPool', () => {
  it('never runs more than its limit at once, and runs every task', async () => {
    const pool = new BoundedPool(3);
    let running = 0;
    let most = 0;
    const done: number[] = [];

    for (let i = 0; i < 10; i++) {
      await pool.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await tick(5);
        running -= 1;
        done.push(i);
      });
    }
    await pool.drain();

    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('lets the producer go on while slots are free', async () => {
    const pool = new BoundedPool(2);
    let started = 0;

    await pool.run(async () => void (started += 1, await tick(50)));
    await pool.run(async () => void (started += 1, await tick(50)));

    expect(started).toBe(2);
    await pool.drain();
  });
});

describe('forEachBounded', () => {
  it('works through every item with at most the limit in flight', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];

    await forEachBounded([1, 2, 3, 4, 5], 2, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await tick(2);
      seen.push(item);
      running -= 1;
    });

    expect(most).toBe(2);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands on a full batch at once, and the rest after the linger, in order', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>(3, 100, async (batch) => void batches.push(batch));

    batcher.add([1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(0);
    const atOnce = batches.map((b) => [...b]);
    await vi.advanceTimersByTimeAsync(99);
    const beforeLinger = batches.length;
    await vi.advanceTimersByTimeAsync(1);

    expect(atOnce).toEqual([[1, 2, 3]]);
    expect(beforeLinger).toBe(1);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('collects what arrives within the linger into one batch', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number>(10, 100, async (batch) => void batches.push(batch));

    batcher.add([1]);
    await vi.advanceTimersByTimeAsync(50);
    batcher.add([2, 3]);
    batcher.add([]);
    await vi.advanceTimersByTimeAsync(50);

    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes the rest on close, and hands batches on one at a time', async () => {
    const order: string[] = [];
    const batcher = new Batcher<number>(2, 1_000, async (batch) => {
      order.push(`start ${batch.join()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push(`end ${batch.join()}`);
    });

    batcher.add([1, 2, 3]);
    const closing = batcher.close();
    await vi.advanceTimersByTimeAsync(30);
    await closing;

    expect(order).toEqual(['start 1,2', 'end 1,2', 'start 3', 'end 3']);
  });
});
