import { describe, expect, it } from 'vitest';
import { Deadline, DEADLINE_PASSED } from '../../lambdas/api/deadline';

const never = () => new Promise<never>(() => undefined);

describe('an upstream deadline', () => {
  it('gives the work’s value when it answers in time, and leaves the signal unaborted', async () => {
    const deadline = new Deadline(5_000);

    expect(await deadline.race(Promise.resolve('answered'))).toBe('answered');
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.ms).toBe(5_000);
  });

  it('passes on a failure that comes in time', async () => {
    await expect(new Deadline(5_000).race(Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });

  it('answers DEADLINE_PASSED when the work ignores the signal, and aborts the signal', async () => {
    const deadline = new Deadline(20);
    const started = Date.now();

    expect(await deadline.race(never())).toBe(DEADLINE_PASSED);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(deadline.signal.aborted).toBe(true);
  });

  it('counts work that gave up because the signal aborted as out of time, not as its answer', async () => {
    const deadline = new Deadline(20);
    const gaveUp = new Promise<string>((resolve) => deadline.signal.addEventListener('abort', () => resolve('timed out upstream')));

    expect(await deadline.race(gaveUp)).toBe(DEADLINE_PASSED);
  });

  it('answers at once once it has passed, and drops a later failure of the work it left behind', async () => {
    const deadline = new Deadline(10);
    await deadline.race(never());
    let fail: (error: Error) => void = () => undefined;
    const late = new Promise<never>((_resolve, reject) => (fail = reject));

    expect(await deadline.race(late)).toBe(DEADLINE_PASSED);
    // Rejected after nobody waits for it: no unhandled rejection fails the run.
    fail(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 10));
  });

  it('shares one budget between successive steps', async () => {
    const deadline = new Deadline(60);
    const slow = (ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms));

    expect(await deadline.race(slow(1))).toBe('done');
    expect(await deadline.race(slow(5_000))).toBe(DEADLINE_PASSED);
  });
});
