import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { TeamQuota } from '../../lambdas/adapters/dynamo/team-quota';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

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

/**
 * A client of the protocol server whose UpdateItem calls pass through `before`
 * first: it may throw (a throttle) or write something itself (a racing
 * process) before the call goes on.
 */
function clientWithUpdateHook(before: (input: { ConditionExpression?: string; UpdateExpression?: string }) => Promise<void>) {
  const client = localDynamoClient(dynamo.endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') await before(args.input as { ConditionExpression?: string });
      return next(args);
    },
    { step: 'initialize', name: 'updateHook' },
  );
  return client;
}

const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: {} });

describe('giving a unit back', () => {
  it('is a no-op for a team at zero or with no counter yet, not an error', async () => {
    const quota = TeamQuota.forTable(dynamo.client, await dynamo.newTable());
    await expect(quota.release('team-a', 'watches', at(0))).resolves.toBeUndefined();

    expect(await quota.reserve('team-a', 'watches', 5, at(1))).toBe(true);
    await quota.release('team-a', 'watches', at(2));
    await expect(quota.release('team-a', 'watches', at(3))).resolves.toBeUndefined();
    // The second release found nothing to give back: the counter stays at zero, as the first left it.
    expect(await quota.read('team-a', 'watches')).toEqual({ used: 0, changedAt: at(2).toISOString() });
  });

  it('fails loudly when the store throttles it, rather than passing for "already at zero"', async () => {
    const tableName = await dynamo.newTable();
    await TeamQuota.forTable(dynamo.client, tableName).reserve('team-a', 'watches', 5, at(0));
    const client = clientWithUpdateHook(async () => {
      throw throttled();
    });
    const quota = TeamQuota.forTable(client, tableName);

    await expect(quota.release('team-a', 'watches', at(1))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    client.destroy();
  });
});

describe('starting and repairing a counter against a store that fails', () => {
  it('does not take a throttled first count for a counter another process started', async () => {
    const client = clientWithUpdateHook(async (input) => {
      if (input.ConditionExpression === 'attribute_not_exists(#used)') throw throttled();
    });
    const quota = TeamQuota.forTable(client, await dynamo.newTable());

    await expect(quota.reserve('team-a', 'watches', 5, at(0))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    client.destroy();
  });

  it('leaves the repair to whoever changed the counter since it was read, and finds no room this time', async () => {
    const tableName = await dynamo.newTable();
    const plain = TeamQuota.forTable(dynamo.client, tableName);
    expect(await plain.reserve('team-a', 'watches', 1, at(0))).toBe(true);
    let raced = false;
    const client = clientWithUpdateHook(async (input) => {
      // Just before the repair's write, another process takes its own look at the counter (a delete marking it).
      if (input.ConditionExpression?.includes(':seen') && !raced) {
        raced = true;
        await plain.touch('team-a', 'watches', at(200_000));
      }
    });
    const quota = TeamQuota.forTable(client, tableName);

    // The repair loses its condition (not an error), and the counter, changed just now, is not repaired again.
    expect(await quota.reserve('team-a', 'watches', 1, at(200_001))).toBe(false);
    expect(raced).toBe(true);
    expect(await quota.read('team-a', 'watches')).toEqual({ used: 1, changedAt: at(200_000).toISOString() });
    client.destroy();
  });

  it('fails loudly when the repair itself is throttled', async () => {
    const tableName = await dynamo.newTable();
    expect(await TeamQuota.forTable(dynamo.client, tableName).reserve('team-a', 'watches', 1, at(0))).toBe(true);
    const client = clientWithUpdateHook(async (input) => {
      if (input.ConditionExpression?.includes(':seen')) throw throttled();
    });
    const quota = TeamQuota.forTable(client, tableName);

    await expect(quota.reserve('team-a', 'watches', 1, at(200_000))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(await quota.read('team-a', 'watches')).toEqual({ used: 1, changedAt: at(0).toISOString() });
    client.destroy();
  });
});
