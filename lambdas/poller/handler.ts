import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { upstreamFetcherFromAws } from '../adapters/aws-wiring';
import { SnsPublisher } from '../adapters/sns/sns-publisher';
import { randomUUID } from 'node:crypto';
import { DynamoPollStore } from '../adapters/dynamo/poll-store';
import { TickLease } from '../adapters/dynamo/tick-lease';
import type { Context } from 'aws-lambda';
import { loadEnv, pollIntervalSeconds, pollPolicy, requireSetting, sweepPolicy, tickDeadlineMs } from '../config';
import { pollWatches, type PollSummary } from '../domain/poll-watches';
import { mergeSummaries, sweepInvocation } from '../domain/sweep-loop';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-poller' });
const metrics = new Metrics({ namespace: 'Watchpost', serviceName: 'poller' });
const dynamo = new DynamoDBClient({});
const tableName = requireSetting(env, 'WATCHPOST_TABLE_NAME');
const store = new DynamoPollStore({ client: dynamo, tableName, scanSegments: env.WATCHPOST_SCAN_SEGMENTS });
const lease = new TickLease(dynamo, tableName);
const publisher = new SnsPublisher(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN'));

const sweeps = sweepPolicy(env);
// Credentials come from Secrets Manager once per container.
const upstreamFetcher = upstreamFetcherFromAws(env, logger);

/** What a tick that found another one running returns. */
export interface SkippedTick {
  skipped: 'another tick holds the lease';
}

export const handler = async (_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>): Promise<PollSummary | SkippedTick> => {
  const remaining = context?.getRemainingTimeInMillis() ?? 15 * 60_000;
  const startedAt = new Date();
  const holder = context?.awsRequestId ?? randomUUID();
  // Held until this invocation cannot be running any more, even if it dies without giving it back.
  if (!(await lease.acquire(holder, startedAt, new Date(startedAt.getTime() + remaining)))) {
    logger.info('another poll tick is still running; this one is skipped');
    metrics.addMetric('TicksSkipped', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    return { skipped: 'another tick holds the lease' };
  }
  try {
    const fetcher = await upstreamFetcher();
    const deps = { store, fetcher, publisher, logger, policy: pollPolicy(env), sweeps: sweeps && { lister: fetcher, state: store, policy: sweeps } };
    const intervalMs = pollIntervalSeconds(env) * 1000;
    const sweepSeconds = env.WATCHPOST_SWEEP_SECONDS;
    const summary =
      sweeps && sweepSeconds !== undefined && sweepSeconds * 1000 < intervalMs
        ? // Several sweeps until the next scheduled invocation is due (or this one's time runs short).
          mergeSummaries(await sweepInvocation(deps, { startedAt: startedAt.getTime(), sweepSeconds, until: startedAt.getTime() + Math.min(intervalMs, remaining - 15_000) }))
        : await pollWatches(deps, startedAt, { signal: AbortSignal.timeout(tickDeadlineMs(env, remaining)) });
    logger.info('poll tick complete', { ...summary });
    recordMetrics(summary);
    return summary;
  } finally {
    await lease.release(holder, new Date());
  }
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
  metrics.addMetric('ListFallbacks', MetricUnit.Count, summary.listFallbacks);
  metrics.addMetric('UpstreamRequests', MetricUnit.Count, summary.requests.get + summary.requests.projectList + summary.requests.datasetList);
  metrics.publishStoredMetrics();
}
