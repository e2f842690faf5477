import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { createWatch, watchIdFor } from '../../lambdas/domain/watch';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

/** Registration tells a lost race (read again) from a store that failed (say so). */
let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const resource = { type: 'dataset' as const, datasetId: 'ds_1' };
const watch = () => createWatch({ watchId: watchIdFor('team-a', resource), team: 'team-a', resource }, new Date('2026-11-24T10:00:00Z'));

describe('registering a watch when DynamoDB fails', () => {
  it('passes a throttled put on at once instead of retrying it as a lost race', async () => {
    const tableName = await dynamo.newTable();
    const client = localDynamoClient(dynamo.endpoint);
    let puts = 0;
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        puts += 1;
        return Promise.reject(Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ThrottlingException' }));
      },
      { step: 'initialize', name: 'throttle' },
    );

    await expect(new WatchStore({ client, tableName }).registerWatch(watch())).rejects.toThrow('Rate of requests');
    expect(puts).toBe(1);
  });

  it('refuses a watch whose id is not the one its team and resource give', async () => {
    const store = new WatchStore({ client: dynamo.client, tableName: await dynamo.newTable() });

    await expect(store.registerWatch({ ...watch(), watchId: 'w_chosen_by_caller' })).rejects.toThrow('a registered watch must carry the id watchIdFor(team, resource) gives');
  });

  it('finds a team’s watch on a resource, and no other team’s', async () => {
    const store = new WatchStore({ client: dynamo.client, tableName: await dynamo.newTable() });
    await store.registerWatch(watch());

    expect(await store.findByResource('team-a', resource)).toMatchObject({ team: 'team-a', watchId: watch().watchId });
    expect(await store.findByResource('team-b', resource)).toBeUndefined();
  });
});
