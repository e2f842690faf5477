import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent } from 'aws-lambda';
import { upstreamFetcherFromAws } from '../adapters/aws-wiring';
import { DynamoPollStore } from '../adapters/dynamo/poll-store';
import { TickLease } from '../adapters/dynamo/tick-lease';
import { SnsPublisher } from '../adapters/sns/sns-publisher';
import { loadEnv, pollIntervalSeconds, requireSetting } from '../config';
import { SegmentMessageSchema } from './fan-out';
import { runTick } from './run-tick';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-poller-segment' });
const metrics = new Metrics({ namespace: 'Watchpost', serviceName: 'poller' });
const dynamo = new DynamoDBClient({});
const tableName = requireSetting(env, 'WATCHPOST_TABLE_NAME');
const publisher = new SnsPublisher(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN'));
const fetcher = upstreamFetcherFromAws(env, logger);

/**
 * A worker of a fanned-out tick: polls one segment of the index, owning its
 * conditional writes, publishes, sweep mark and resume position, under a
 * lease of its own (so a late message never overlaps a running tick of the
 * same segment). A message is never retried (the queue gives it one
 * receive): the next tick's message covers the segment, resuming where this
 * one stopped.
 */
export const handler = async (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<void> => {
  for (const record of event.Records) {
    const parsed = SegmentMessageSchema.safeParse(JSON.parse(record.body));
    if (!parsed.success) {
      logger.error('not a poll segment message; dropped', { messageId: record.messageId });
      continue;
    }
    const { segment, of, tick } = parsed.data;
    const ageMs = Date.now() - Date.parse(tick);
    if (ageMs > pollIntervalSeconds(env) * 1000) {
      // Waited longer than a tick: the next tick's message is on its way (or here already).
      logger.warn('poll segment message is older than one tick; dropped', { segment, of, tick });
      metrics.addMetric('SegmentsStale', 'Count', 1);
      metrics.publishStoredMetrics();
      continue;
    }
    logger.appendKeys({ segment, of });
    const store = new DynamoPollStore({ client: dynamo, tableName, scanSegments: env.WATCHPOST_SCAN_SEGMENTS, share: { index: segment, of } });
    await runTick(
      { env, store, lease: new TickLease(dynamo, tableName, `poll-segment-${segment}-of-${of}`), publisher, fetcher, logger, metrics },
      { remainingMs: context?.getRemainingTimeInMillis() ?? 15 * 60_000, holder: context?.awsRequestId },
    );
  }
};
