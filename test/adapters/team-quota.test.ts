import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { TeamQuota } from '../../lambdas/adapters/dynamo/team-quota';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

/** The per-team counter's self-repair, at its exact edges, on the DynamoDB protocol server. */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const CRASHED_AT = Date.parse('2026-11-24T10:00:00Z');
const at = (ms: number) => new Date(CRASHED_AT + ms);

describe('a counter left high by a crash', () => {
  it('is repaired from exactly the settle time (2 minutes by default), and not a millisecond before', async () => {
    const quota = TeamQuota.forTable(dynamo.client, await dynamo.newTable());
    // A unit taken by a process that died before creating anything.
    expect(await quota.reserve('team-a', 'watches', 1, at(0))).toBe(true);

    const early = await quota.reserve('team-a', 'watches', 1, at(119_999));
    const settled = await quota.reserve('team-a', 'watches', 1, at(120_000));

    expect([early, settled]).toEqual([false, true]);
    expect(await quota.read('team-a', 'watches')).toEqual({ used: 1, changedAt: at(120_000).toISOString() });
  });

  it('is left as it is when what the team has fills it: the limit is real', async () => {
    const tableName = await dynamo.newTable();
    const quota = TeamQuota.forTable(dynamo.client, tableName, 1_000);
    expect(await quota.reserve('team-a', 'subscriptions', 1, at(0))).toBe(true);
    await new SubscriptionStore(dynamo.client, tableName).put({ id: 'sub_1', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/x', filter: null, status: 'active', createdAt: at(0).toISOString() });

    expect(await quota.reserve('team-a', 'subscriptions', 1, at(5_000))).toBe(false);
    expect(await quota.read('team-a', 'subscriptions')).toEqual({ used: 1, changedAt: at(0).toISOString() });
  });

  it('reads as nothing before the team’s first reservation', async () => {
    const quota = TeamQuota.forTable(dynamo.client, await dynamo.newTable());

    expect(await quota.read('team-a', 'watches')).toBeUndefined();
  });
});
