import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TickLease } from '../../lambdas/adapters/dynamo/tick-lease';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 12, minute));

describe('TickLease', () => {
  it('goes to exactly one of 20 ticks that ask at once, in each of 10 rounds', async () => {
    const lease = new TickLease(dynamo.client, await dynamo.newTable());
    for (let round = 0; round < 10; round++) {
      const granted = await Promise.all(Array.from({ length: 20 }, (_, i) => lease.acquire(`r${round}-${i}`, at(round), at(round + 1))));
      expect(granted.filter(Boolean)).toHaveLength(1);
      await lease.release(`r${round}-${granted.indexOf(true)}`, at(round));
    }
  });

  it('is free again once its holder gives it back, and not before', async () => {
    const lease = new TickLease(dynamo.client, await dynamo.newTable());
    await lease.acquire('first', at(0), at(5));

    const whileHeld = await lease.acquire('second', at(1), at(6));
    await lease.release('someone-else', at(1));
    const afterWrongRelease = await lease.acquire('second', at(1), at(6));
    await lease.release('first', at(2));
    const afterRelease = await lease.acquire('second', at(2), at(7));

    expect([whileHeld, afterWrongRelease, afterRelease]).toEqual([false, false, true]);
  });

  it('expires when a holder died without giving it back', async () => {
    const lease = new TickLease(dynamo.client, await dynamo.newTable());
    await lease.acquire('crashed', at(0), at(5));

    expect(await lease.acquire('next', at(4), at(9))).toBe(false);
    expect(await lease.acquire('next', at(5), at(10))).toBe(true);
  });
});
