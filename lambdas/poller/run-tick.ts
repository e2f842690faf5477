import { randomUUID } from 'node:crypto';

import type { TickLease } from '../adapters/dynamo/tick-lease';
import type { DynamoPollStore } from '../adapters/dynamo/poll-store';
import { pollIntervalSeconds, pollPolicy, sweepPolicy, tickDeadlineMs, type Env } from '../config';
import { pollWatches, type PollDeps, type PollSummary } from '../domain/poll-watches';
import type { EventPublisher, Logger } from '../domain/ports';
import { mergeSummaries, sweepInvocation } from '../domain/sweep-loop';
import type { UpstreamFetcher } from '../adapters/upstream/upstream-fetcher';

/** What a tick that found another one running returns. */
export interface SkippedTick {
  skipped: 'another tick holds the lease';
}

export interface TickParts {
  env: Env;
  store: DynamoPollStore;
  lease: TickLease;
  publisher: EventPublisher;
  fetcher: () => Promise<UpstreamFetcher>;
  logger: Logger;
  metrics: { addMetric(name: string, unit: 'Count', value: number): void; publishStoredMetrics(): void };
}

/**
 * One tick of the whole index or of one poller segment: take the lease (a
 * tick that finds it held is skipped, so ticks never overlap), then several
 * sweeps until the next scheduled tick is due, or one pass of single GETs
 * that resumes where a cut-off pass stopped. Shared by the scheduled
 * function and the segment workers of a fan-out.
 */
export async function runTick(parts: TickParts, options: { remainingMs: number; holder?: string | undefined; startedAt?: Date }): Promise<PollSummary | SkippedTick> {
  const { env, store, lease, logger, metrics } = parts;
  const startedAt = options.startedAt ?? new Date();
  const holder = options.holder ?? randomUUID();
  const remaining = options.remainingMs;
  // Held until this invocation cannot be running any more, even if it dies without giving it back.
  if (!(await lease.acquire(holder, startedAt, new Date(startedAt.getTime() + remaining)))) {
    logger.info('another poll tick is still running; this one is skipped');
    metrics.addMetric('TicksSkipped', 'Count', 1);
    metrics.publishStoredMetrics();
    return { skipped: 'another tick holds the lease' };
  }
  try {
    const fetcher = await parts.fetcher();
    const sweeps = sweepPolicy(env);
    const deps: PollDeps = { store, fetcher, publisher: parts.publisher, logger, policy: pollPolicy(env), sweeps: sweeps && { lister: fetcher, state: store, policy: sweeps } };
    const intervalMs = pollIntervalSeconds(env) * 1000;
    const sweepSeconds = env.WATCHPOST_SWEEP_SECONDS;
    const summary =
      sweeps && sweepSeconds !== undefined && sweepSeconds * 1000 < intervalMs
        ? // Several sweeps until the next scheduled invocation is due (or this one's time runs short).
          mergeSummaries(await sweepInvocation(deps, { startedAt: startedAt.getTime(), sweepSeconds, until: startedAt.getTime() + Math.min(intervalMs, remaining - 15_000) }))
        : await pollWatches(deps, startedAt, { signal: AbortSignal.timeout(tickDeadlineMs(env, remaining)), resume: true });
    logger.info('poll tick complete', { ...summary });
    recordMetrics(metrics, summary);
    return summary;
  } finally {
    await lease.release(holder, new Date());
  }
}

function recordMetrics(metrics: TickParts['metrics'], summary: PollSummary): void {
  const count = 'Count';
  metrics.addMetric('WatchesPolled', count, summary.watches);
  metrics.addMetric('Changes', count, summary.changed);
  metrics.addMetric('PollFailures', count, summary.failed);
  metrics.addMetric('CredentialFailures', count, summary.failuresByKind.credentials ?? 0);
  metrics.addMetric('MalformedResponses', count, summary.failuresByKind.malformed ?? 0);
  metrics.addMetric('EventsPublished', count, summary.eventsPublished);
  metrics.addMetric('EventsPending', count, summary.eventsPending);
  metrics.addMetric('VersionConflicts', count, summary.conflicts);
  metrics.addMetric('StoreFailures', count, summary.failuresByKind.store ?? 0);
  metrics.addMetric('TicksCutOff', count, summary.cutOff ? 1 : 0);
  metrics.addMetric('ListFallbacks', count, summary.listFallbacks);
  metrics.addMetric('UpstreamRequests', count, summary.requests.get + summary.requests.projectList + summary.requests.datasetList + summary.requests.runList);
  metrics.publishStoredMetrics();
}
