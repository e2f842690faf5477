import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
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

  it('fans a tick out to poller segments: the coordinator queues one message each, the workers (each sweeping its own share) together hear every change once', async () => {
    const tableName = await dynamo.newTable();
    const store = new WatchStore({ client: dynamo.client, tableName });
    for (let i = 0; i < 12; i++) {
      simulator.putDataset(`ds_fan_${i}`, { status: 'running' });
      await store.putWatch(createWatch({ watchId: `w_fan_${i}`, team: 't', resource: { type: 'dataset', datasetId: `ds_fan_${i}` } }, new Date()));
    }
    sns.resetHistory();
    sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => ({
      Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
    }));
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }));
    stubLambdaEnv(dynamo.endpoint, {
      WATCHPOST_TABLE_NAME: tableName,
      WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
      ADAPTION_BASE_URL: simulator.url,
      ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey,
      WATCHPOST_POLL_INTERVAL_SECONDS: '60',
      WATCHPOST_SWEEP_SECONDS: '60',
      WATCHPOST_POLL_SEGMENTS: '3',
      WATCHPOST_SCAN_SEGMENTS: '2',
      WATCHPOST_POLL_SEGMENT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll-segments',
    });
    vi.resetModules();
    const { handler: coordinator } = await import('../../lambdas/poller/handler');
    const { handler: worker } = await import('../../lambdas/poller/segment-handler');
    const context = (id: string) => ({ getRemainingTimeInMillis: () => 60_000, awsRequestId: id });
    const queued = () => sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []).map((e) => e.MessageBody ?? '');
    const asSqs = (bodies: string[]): SQSEvent => ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body }) as SQSEvent['Records'][number]) });

    const fanned = await coordinator({}, context('coordinator-1'));
    const messages = queued();
    // Every segment's worker at once, twice over (a redelivered batch): the segment leases keep one tick per segment.
    await Promise.all([...messages, ...messages].map((body, i) => worker(asSqs([body]), context(`w${i}`))));
    const baselines = await Promise.all(Array.from({ length: 12 }, async (_, i) => (await store.getWatch(`w_fan_${i}`))?.snapshot?.status));
    simulator.putDataset('ds_fan_4', { status: 'succeeded' });
    simulator.putDataset('ds_fan_9', { status: 'failed' });
    sqs.resetHistory();
    await coordinator({}, context('coordinator-2'));
    await Promise.all(queued().map((body, i) => worker(asSqs([body]), context(`x${i}`))));
    const stale = JSON.stringify({ kind: 'poll-segment', segment: 0, of: 3, tick: new Date(Date.now() - 120_000).toISOString() });
    simulator.putDataset('ds_fan_0', { status: 'succeeded' });
    await worker(asSqs([stale]), context('late'));

    expect(fanned).toEqual({ segments: 3, queued: 3, failed: 0 });
    expect(messages.map((body) => JSON.parse(body) as { segment: number; of: number }).map((m) => [m.segment, m.of])).toEqual([[0, 3], [1, 3], [2, 3]]);
    expect(baselines).toEqual(Array.from({ length: 12 }, () => 'running'));
    const published = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []).map((e) => e.Subject);
    // Exactly the two changes, once each; the stale message polled nothing.
    expect(published.sort()).toEqual(['dataset ds_fan_4: running → succeeded', 'dataset ds_fan_9: running → failed']);
    expect((await store.getWatch('w_fan_0'))?.snapshot?.status).toBe('running');
    sqs.restore();
  });
});
