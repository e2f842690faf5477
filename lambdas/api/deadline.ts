/** What `race` gives instead of a value once the deadline has passed. */
export const DEADLINE_PASSED = Symbol('deadline passed');
export type DeadlinePassed = typeof DEADLINE_PASSED;

/**
 * A time budget for a route's calls to an upstream, retries included, so it
 * answers (and gives back what it reserved) well before the function's own
 * timeout would cut it off mid-way. `signal` aborts when it passes, for work
 * that can stop; `race` answers by then even for work that cannot (a
 * credentials read, a login): that work finishes on its own and its result,
 * or error, is dropped.
 */
export class Deadline {
  readonly signal: AbortSignal;

  constructor(readonly ms: number) {
    this.signal = AbortSignal.timeout(ms);
  }

  async race<T>(work: Promise<T>): Promise<T | DeadlinePassed> {
    // Work that fails after the deadline has nobody waiting for it.
    work.catch(() => undefined);
    if (this.signal.aborted) return DEADLINE_PASSED;
    let stop: (() => void) | undefined;
    const passed = new Promise<DeadlinePassed>((resolve) => {
      stop = () => resolve(DEADLINE_PASSED);
      this.signal.addEventListener('abort', stop, { once: true });
    });
    try {
      const result = await Promise.race([work, passed]);
      // Work that gave up because the signal aborted (a timed-out fetch) ran out of time too.
      return this.signal.aborted ? DEADLINE_PASSED : result;
    } finally {
      if (stop) this.signal.removeEventListener('abort', stop);
    }
  }
}
