import { describe, expect, it } from 'vitest';
import { lazily } from '../../lambdas/adapters/aws-wiring';

describe('lazily', () => {
  it('loads once and shares the value while it is fresh', async () => {
    let loads = 0;
    const get = lazily(async () => ++loads, 1_000, () => 0);

    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
  });

  it('loads again once the value is older than its maximum age', async () => {
    let clock = 0;
    let loads = 0;
    const get = lazily(async () => ++loads, 1_000, () => clock);
    await get();

    clock = 1_000;

    expect(await get()).toBe(2);
  });

  it('does not keep a failed load', async () => {
    let attempt = 0;
    const get = lazily(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('throttled');
      return 'secret';
    });

    await expect(get()).rejects.toThrow('throttled');
    expect(await get()).toBe('secret');
  });
});
