import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { TeamQuota } from '../../lambdas/adapters/dynamo/team-quota';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

/**
 * The embedded DynamoDB is always consistent, so a read that lost its
 * ConsistentRead would pass every other test and still decide conditional
 * writes on stale data in AWS (DynamoDB reads are eventually consistent by
 * default). This holds each such read to the flag on the wire.
 */
describe('reads that decide a write are strongly consistent', () => {
  it('sends ConsistentRead: true for every read a later conditional write or an answer depends on', async () => {
    const tableName = await dynamo.newTable();
    const client = localDynamoClient(dynamo.endpoint);
    const reads: Array<{ command: string; input: Record<string, unknown> }> = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        const command = String(context.commandName);
        if (command === 'GetItemCommand' || command === 'QueryCommand') reads.push({ command, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordReads' },
    );
    const teams = new TeamStore(client, tableName);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['TeamStore.getTeam', () => teams.getTeam('t')],
      ['TeamStore.listTokens', () => teams.listTokens('t')],
      ['TeamStore.revokeToken', () => teams.revokeToken('t', 'tok_1')],
      ['WatchStore.getWatch', () => new WatchStore({ client, tableName }).getWatch('w_1')],
      ['DeliveryStore.get', () => new DeliveryStore(client, tableName).get('sub_1', 'evt_1')],
      ['TeamQuota.read', () => TeamQuota.forTable(client, tableName).read('t', 'watches')],
      ['SubscriptionStore.get', () => new SubscriptionStore(client, tableName).get('t', 'sub_1')],
      ['DynamoPollStore.readIndexedWatch', () => new DynamoPollStore({ client, tableName }).readIndexedWatch('w_1')],
      ['DynamoPollStore.readSweepState', () => new DynamoPollStore({ client, tableName }).readSweepState()],
      [
        'DynamoPollStore resume position',
        async () => {
          for await (const page of new DynamoPollStore({ client, tableName }).pollablePages({ resume: true })) void page;
        },
      ],
    ];

    const unflagged: string[] = [];
    for (const [name, call] of calls) {
      reads.length = 0;
      await call();
      expect(reads.length, name).toBeGreaterThan(0);
      if (!reads.every((read) => read.input.ConsistentRead === true)) unflagged.push(name);
    }

    expect(unflagged).toEqual([]);
  });
});
