import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { upstreamFetcherFromAws } from '../adapters/aws-wiring';
import { SnsPublisher } from '../adapters/sns/sns-publisher';
import { DynamoPollStore } from '../adapters/dynamo/poll-store';
import type { Context } from 'aws-lambda';
import { loadEnv, pollPolicy, requireSetting, tickDeadlineMs } from '../config';
import { pollWatches, type PollSummary } from '../domain/poll-watches';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-poller' });
const metrics = new Metrics({ namespace: 'Watchpost', serviceName: 'poller' });
const store = new DynamoPollStore({ client: new DynamoDBClient({}), tableName: requireSetting(env, 'WATCHPOST_TABLE_NAME') });
const publisher = new SnsPublisher(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN'));

// Credentials come from Secrets Manager once per container.
const upstreamFetcher = upstreamFetcherFromAws(env, logger);

export const handler = async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<PollSummary> => {
  const remaining = context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
  const summary = await pollWatches(
    { store, fetcher: await upstreamFetcher(), publisher, logger, policy: pollPolicy(env) },
    new Date(),
    { signal: AbortSignal.timeout(tickDeadlineMs(env, remaining)) },
  );
  logger.info('poll tick complete', { ...summary });
  recordMetrics(summary);
  return summary;
};

function recordMetrics(summary: PollSummary): void {
  metrics.addMetric('WatchesPolled', MetricUnit.Count, summary.watches);
  metrics.addMetric('Changes', MetricUnit.Count, summary.changed);
  metrics.addMetric('PollFailures', MetricUnit.Count, summary.failed);
  metrics.addMetric('CredentialFailures', MetricUnit.Count, summary.failuresByKind.credentials ?? 0);
  metrics.addMetric('MalformedResponses', MetricUnit.Count, summary.failuresByKind.malformed ?? 0);
  metrics.addMetric('EventsPublished', MetricUnit.Count, summary.eventsPublished);
  metrics.addMetric('EventsPending', MetricUnit.Count, summary.eventsPending);
  metrics.addMetric('VersionConflicts', MetricUnit.Count, summary.conflicts);
  metrics.addMetric('StoreFailures', MetricUnit.Count, summary.failuresByKind.store ?? 0);
  metrics.addMetric('TicksCutOff', MetricUnit.Count, summary.cutOff ? 1 : 0);
  metrics.publishStoredMetrics();
}
