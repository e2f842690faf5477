import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { SnsPublisher } from '../../lambdas/adapters/sns/sns-publisher';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import type { WatchEvent } from '../../lambdas/domain/events';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import type { ResourceRef } from '../../lambdas/domain/resource';
import type { SweepPolicy } from '../../lambdas/domain/sweep-plan';
import { createWatch, type NewWatch } from '../../lambdas/domain/watch';
import { SIMULATOR_DEFAULTS, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { localDynamoClient, type LocalDynamo } from './dynamo';
import { captureLogger } from './logger';

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:watchpost-changes';

/** Everything one poller needs, wired to the local DynamoDB and the simulator. */
export async function pollerHarness(
  dynamo: LocalDynamo,
  simulator: UpstreamSimulator,
  options: { timeoutMs?: number; pageSize?: number; scanSegments?: number; sweeps?: SweepPolicy } = {},
) {
  const tableName = await dynamo.newTable();
  // A client of its own, so the test can count exactly the calls the poller makes.
  const client = localDynamoClient(dynamo.endpoint);
  const dynamoCalls: string[] = [];
  let dynamoFault: ((command: string, input: Record<string, unknown>) => Error | undefined) | undefined;
  client.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName).replace(/Command$/, '');
      dynamoCalls.push(command);
      const injected = dynamoFault?.(command, args.input as Record<string, unknown>);
      if (injected) return Promise.reject(injected);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  /** The API's side of the table, for arranging watches and reading them back. */
  const store = new WatchStore({ client, tableName });
  const pollStore = new DynamoPollStore({
    client,
    tableName,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    ...(options.scanSegments ? { scanSegments: options.scanSegments } : {}),
  });
  const logger = captureLogger();
  const fetcher = UpstreamFetcher.create(
    {
      adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
      deepOpinion: { baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion } },
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 20, timeoutMs: options.timeoutMs ?? 2_000 },
    },
    logger,
  );
  const snsClient = new SNSClient({ region: 'eu-west-1' });
  const sns = mockClient(snsClient);
  let publishFailures = 0;
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => {
    if (publishFailures > 0) {
      publishFailures -= 1;
      throw new Error('SNS is unavailable');
    }
    return {
    Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
    Failed: [],
    };
  });
  const publisher = new SnsPublisher(snsClient, TOPIC_ARN);
  const deps = {
    store: pollStore,
    fetcher,
    publisher,
    logger,
    policy: { concurrency: 4, failureThreshold: 3, heartbeatSeconds: 3600 },
    sweeps: options.sweeps && { lister: fetcher, state: pollStore, policy: options.sweeps },
  };
  let clock = Date.parse('2026-11-23T10:00:00Z');
  // Ids are fixed by creation order, so whatever depends on an id (a sweep's refresh phase) is the same every run.
  let watchNumber = 0;

  return {
    tableName,
    store,
    pollStore,
    logger,
    sns,
    deps,
    dynamoCalls,
    /** Fails the DynamoDB calls for which `fault` returns an error (until cleared with undefined). */
    failDynamo(fault: typeof dynamoFault) {
      dynamoFault = fault;
    },
    /** Makes the next `count` PublishBatch calls fail as a whole. */
    failNextPublish(count = 1) {
      publishFailures = count;
    },
    /** One poll tick, a minute (or `afterMs`) after the previous one. */
    async poll(afterMs = 60_000) {
      clock += afterMs;
      return pollWatches(deps, new Date(clock));
    },
    async watch(resource: ResourceRef, extra: Partial<NewWatch> = {}) {
      watchNumber += 1;
      const watch = createWatch({ watchId: `w_${watchNumber}`, team: 'team-a', resource, ...extra }, new Date(clock));
      await store.putWatch(watch);
      return watch;
    },
    /** Every event published to SNS so far, in order. */
    published(): WatchEvent[] {
      return sns
        .commandCalls(PublishBatchCommand)
        .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? [])
        .map((entry) => JSON.parse(JSON.parse(entry.Message as string).default) as WatchEvent);
    },
    dispose() {
      sns.restore();
      client.destroy();
    },
  };
}

export type PollerHarness = Awaited<ReturnType<typeof pollerHarness>>;

