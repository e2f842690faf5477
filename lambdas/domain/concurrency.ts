/**
 * Runs `work` over `items` with at most `limit` in flight. Rejections are the
 * worker's to handle: callers pass workers that never throw.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * A bounded pool fed one task at a time: `run` waits only while every slot is
 * busy, so a producer (a paged Scan) keeps reading while work is in flight,
 * with no barrier between pages. Tasks must not throw.
 */
export class BoundedPool {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const started = task().finally(() => this.running.delete(started));
    this.running.add(started);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}

/**
 * Collects items and hands them on in batches of up to `size`: a full batch at
 * once, a partial one after `lingerMs` without waiting for more. Batches are
 * handed on one at a time, in order. `close` flushes the rest.
 */
export class Batcher<T> {
  private buffer: T[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly size: number,
    private readonly lingerMs: number,
    private readonly handle: (batch: T[]) => Promise<void>,
  ) {}

  add(items: readonly T[]): void {
    if (items.length === 0) return;
    this.buffer.push(...items);
    while (this.buffer.length >= this.size) this.flush(this.buffer.splice(0, this.size));
    if (this.buffer.length > 0) this.timer ??= setTimeout(() => this.flush(this.take()), this.lingerMs);
  }

  async close(): Promise<void> {
    this.flush(this.take());
    await this.chain;
  }

  private take(): T[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.buffer.splice(0);
  }

  private flush(batch: T[]): void {
    if (batch.length === 0) return;
    this.chain = this.chain.then(() => this.handle(batch));
  }
}
