import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { createWatch } from '../../lambdas/domain/watch';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { stubLambdaEnv } from '../support/lambda-env';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
const sns = mockClient(SNSClient);

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  sns.restore();
  vi.unstubAllEnvs();
  await Promise.all([dynamo.close(), simulator.close()]);
});

describe('poller Lambda handler', () => {
  it('polls the table named in its environment and publishes to its topic', async () => {
    const tableName = await dynamo.newTable();
    const store = new WatchStore({ client: dynamo.client, tableName });
    simulator.putDataset('ds_h', { status: 'running' });
    await store.putWatch(createWatch({ watchId: 'w_h', team: 't', resource: { type: 'dataset', datasetId: 'ds_h' } }, new Date()));
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
    }));
    stubLambdaEnv(dynamo.endpoint, {
      WATCHPOST_TABLE_NAME: tableName,
      WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
      ADAPTION_BASE_URL: simulator.url,
      ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey,
    });
    const { handler } = await import('../../lambdas/poller/handler');

    const context = { getRemainingTimeInMillis: () => 300_000, awsRequestId: 'req-1' };
    const baseline = await handler({}, context);
    simulator.putDataset('ds_h', { status: 'succeeded' });
    const tick = await handler({}, context);

    expect(baseline).toMatchObject({ watches: 1, baselines: 1 });
    expect(tick).toMatchObject({ watches: 1, changed: 1, eventsPublished: 1 });
    const entry = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input;
    expect(entry?.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:changes');
    expect(entry?.PublishBatchRequestEntries?.[0]?.Subject).toBe('dataset ds_h: running → succeeded');
  });

  it('stops a tick inside the time the Lambda has left', async () => {
    const tableName = await dynamo.newTable();
    const store = new WatchStore({ client: dynamo.client, tableName });
    simulator.putDataset('ds_slow', { status: 'running' });
    simulator.addFault({ path: '/api/v1/datasets/ds_slow', delayMs: 30_000 });
    await store.putWatch(createWatch({ watchId: 'w_slow', team: 't', resource: { type: 'dataset', datasetId: 'ds_slow' } }, new Date()));
    stubLambdaEnv(dynamo.endpoint, { WATCHPOST_TABLE_NAME: tableName, WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes', ADAPTION_BASE_URL: simulator.url, ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey });
    vi.resetModules();
    const { handler } = await import('../../lambdas/poller/handler');
    const started = Date.now();

    // 16 s left: the tick keeps 15 s for itself and gets the 1 s minimum.
    const tick = await handler({}, { getRemainingTimeInMillis: () => 16_000, awsRequestId: 'req-slow' });

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(tick).toMatchObject({ watches: 1, failed: 1, failuresByKind: { unavailable: 1 } });
    // The lease was given back: the next tick runs.
    expect(await handler({}, { getRemainingTimeInMillis: () => 16_000, awsRequestId: 'req-next' })).not.toHaveProperty('skipped');
    expect((await store.getWatch('w_slow'))?.lastError?.message).toContain('tick deadline');
    simulator.clearFaults();
  });

  it('runs one of two ticks invoked at once and skips the other, with no reserved concurrency', async () => {
    const tableName = await dynamo.newTable();
    const store = new WatchStore({ client: dynamo.client, tableName });
    simulator.putDataset('ds_twice', { status: 'running' });
    await store.putWatch(createWatch({ watchId: 'w_twice', team: 't', resource: { type: 'dataset', datasetId: 'ds_twice' } }, new Date()));
    stubLambdaEnv(dynamo.endpoint, { WATCHPOST_TABLE_NAME: tableName, WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes', ADAPTION_BASE_URL: simulator.url, ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey });
    vi.resetModules();
    const { handler } = await import('../../lambdas/poller/handler');

    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => handler({}, { getRemainingTimeInMillis: () => 60_000, awsRequestId: id })));

    expect(results.filter((r) => 'skipped' in r)).toHaveLength(3);
    expect(results.filter((r) => !('skipped' in r))).toEqual([expect.objectContaining({ watches: 1, baselines: 1 })]);
  });

  it('runs several sweeps in one invocation when WATCHPOST_SWEEP_SECONDS is below the schedule, and hears a change between them', async () => {
    const tableName = await dynamo.newTable();
    const store = new WatchStore({ client: dynamo.client, tableName });
    simulator.putDataset('ds_fast', { status: 'running' });
    await store.putWatch(createWatch({ watchId: 'w_fast', team: 't', resource: { type: 'dataset', datasetId: 'ds_fast' } }, new Date()));
    sns.resetHistory();
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
    }));
    // A 2.5 s schedule with 1 s sweeps: slots at 0 and 1 s fit (each stops at 80% of its slot), the one at 2 s does not.
    stubLambdaEnv(dynamo.endpoint, {
      WATCHPOST_TABLE_NAME: tableName,
      WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
      ADAPTION_BASE_URL: simulator.url,
      ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey,
      WATCHPOST_POLL_INTERVAL_SECONDS: '2.5',
      WATCHPOST_SWEEP_SECONDS: '1',
    });
    vi.resetModules();
    const { handler } = await import('../../lambdas/poller/handler');
    await handler({}, { getRemainingTimeInMillis: () => 300_000, awsRequestId: 'sweeps-1' });
    const changeSoon = setTimeout(() => simulator.putDataset('ds_fast', { status: 'succeeded' }), 300);

    const invocation = await handler({}, { getRemainingTimeInMillis: () => 300_000, awsRequestId: 'sweeps-2' });
    clearTimeout(changeSoon);

    expect(invocation).toMatchObject({ watches: 2, changed: 1, eventsPublished: 1 });
  });
});
