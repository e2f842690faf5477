import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { upstreamFetcherFromAws } from '../adapters/aws-wiring';
import { DynamoPollStore } from '../adapters/dynamo/poll-store';
import { TickLease } from '../adapters/dynamo/tick-lease';
import { SnsPublisher } from '../adapters/sns/sns-publisher';
import { loadEnv, requireSetting } from '../config';
import type { PollSummary } from '../domain/poll-watches';
import { fanOutTick, type FannedOut } from './fan-out';
import { runTick, type SkippedTick } from './run-tick';

export type { SkippedTick } from './run-tick';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-poller' });
const metrics = new Metrics({ namespace: 'Watchpost', serviceName: 'poller' });
const dynamo = new DynamoDBClient({});
const tableName = requireSetting(env, 'WATCHPOST_TABLE_NAME');
const store = new DynamoPollStore({ client: dynamo, tableName, scanSegments: env.WATCHPOST_SCAN_SEGMENTS });
const lease = new TickLease(dynamo, tableName);
const publisher = new SnsPublisher(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN'));
// Credentials come from Secrets Manager once per container.
const fetcher = upstreamFetcherFromAws(env, logger);
const sqs = new SQSClient({});

/**
 * The scheduled tick. With one poller segment (small installations) it
 * polls the whole index itself; with more, it is the coordinator: one
 * message per segment on the segment queue, each taken by a worker
 * invocation (segment-handler) that owns that share of the index.
 */
export const handler = async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<PollSummary | SkippedTick | FannedOut> => {
  if (env.WATCHPOST_POLL_SEGMENTS > 1) {
    const fanned = await fanOutTick(sqs, requireSetting(env, 'WATCHPOST_POLL_SEGMENT_QUEUE_URL'), env.WATCHPOST_POLL_SEGMENTS, new Date());
    if (fanned.failed > 0) logger.warn('some poll segments could not be queued; they are polled at the next tick', { ...fanned });
    else logger.info('poll tick handed to its segments', { ...fanned });
    metrics.addMetric('SegmentsNotQueued', 'Count', fanned.failed);
    metrics.publishStoredMetrics();
    return fanned;
  }
  return runTick({ env, store, lease, publisher, fetcher, logger, metrics }, { remainingMs: context?.getRemainingTimeInMillis() ?? 15 * 60_000, holder: context?.awsRequestId });
};
