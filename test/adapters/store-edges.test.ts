import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import type { Subscription } from '../../lambdas/domain/subscription';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

/** Store behaviours that callers rely on and no higher-level test pins exactly. */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const state = (mark: string) => ({ datasetHighWaterMark: mark, lastSweepAt: '2026-11-24T10:00:00.000Z' });

describe('sweep state', () => {
  it('is written first only where none exists, then only over the version read', async () => {
    const polls = new DynamoPollStore({ client: dynamo.client, tableName: await dynamo.newTable() });

    const first = await polls.saveSweepState(state('a'), 0);
    const secondFirst = await polls.saveSweepState(state('b'), 0);
    const next = await polls.saveSweepState(state('c'), 1);
    const stale = await polls.saveSweepState(state('d'), 1);

    expect([first, secondFirst, next, stale]).toEqual([true, false, true, false]);
    expect(await polls.readSweepState()).toEqual({ ...state('c'), version: 2 });
  });

  it('reads as empty before the first sweep', async () => {
    const polls = new DynamoPollStore({ client: dynamo.client, tableName: await dynamo.newTable() });

    expect(await polls.readSweepState()).toEqual({ datasetHighWaterMark: null, lastSweepAt: null, version: 0 });
  });

  it('is kept per poller segment when a tick fans out, and under the plain key for the whole index', async () => {
    const tableName = await dynamo.newTable();
    const whole = new DynamoPollStore({ client: dynamo.client, tableName });
    const alone = new DynamoPollStore({ client: dynamo.client, tableName, share: { index: 0, of: 1 } });
    const first = new DynamoPollStore({ client: dynamo.client, tableName, share: { index: 0, of: 2 } });
    const second = new DynamoPollStore({ client: dynamo.client, tableName, share: { index: 1, of: 2 } });

    await whole.saveSweepState(state('whole'), 0);
    await first.saveSweepState(state('first'), 0);

    expect((await alone.readSweepState()).datasetHighWaterMark).toBe('whole');
    expect((await first.readSweepState()).datasetHighWaterMark).toBe('first');
    expect(await second.readSweepState()).toMatchObject({ datasetHighWaterMark: null, version: 0 });
  });

  it('passes on a store error rather than reading it as a lost race', async () => {
    const polls = new DynamoPollStore({ client: dynamo.client, tableName: 'no-such-table' });

    await expect(polls.saveSweepState(state('a'), 0)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('updating a subscription', () => {
  const base: Subscription = { id: 'sub_1', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/x', filter: { watchIds: ['w_1'] }, status: 'active', createdAt: '2026-11-24T10:00:00.000Z' };

  async function arrange(): Promise<SubscriptionStore> {
    const store = new SubscriptionStore(dynamo.client, await dynamo.newTable());
    await store.put({ ...base, description: 'release bot' });
    return store;
  }

  it('sets what is given and leaves the rest as it was', async () => {
    const store = await arrange();

    const updated = await store.update('team-a', 'sub_1', { pausedAt: '2026-11-24T11:00:00.000Z', description: undefined });

    expect(updated).toMatchObject({ description: 'release bot', pausedAt: '2026-11-24T11:00:00.000Z', filter: { watchIds: ['w_1'] } });
  });

  it('removes a field given as null, but stores a null filter as no filter', async () => {
    const store = await arrange();
    await store.update('team-a', 'sub_1', { pausedAt: '2026-11-24T11:00:00.000Z' });

    const updated = await store.update('team-a', 'sub_1', { description: null, pausedAt: null, filter: null });

    expect(updated?.description ?? null).toBeNull();
    expect(updated?.pausedAt ?? null).toBeNull();
    expect(updated?.filter).toBeNull();
    expect(await store.get('team-a', 'sub_1')).toEqual(updated);
  });

  it('answers the subscription as it is for no changes, and undefined for one the team does not have', async () => {
    const store = await arrange();

    expect(await store.update('team-a', 'sub_1', {})).toMatchObject({ id: 'sub_1', description: 'release bot' });
    expect(await store.update('team-b', 'sub_1', { description: 'mine now' })).toBeUndefined();
    expect(await store.update('team-a', 'sub_2', {})).toBeUndefined();
  });

  it('lists a team’s subscriptions a page at a time, reads every one of them, and no other team’s', async () => {
    const store = new SubscriptionStore(dynamo.client, await dynamo.newTable());
    for (let i = 0; i < 7; i++) await store.put({ ...base, id: `sub_${i}` });
    await store.put({ ...base, id: 'sub_b', team: 'team-b' });

    const page = await store.list('team-a', 3);
    const all = await store.all('team-a');

    expect(page.items).toHaveLength(3);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(all.map((s) => s.id).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `sub_${i}`));
    expect(await store.count('team-a')).toBe(7);
  });
});
