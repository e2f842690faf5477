import { Batcher, BoundedPool, forEachBounded } from './concurrency';
import { decidePoll, type PollDecision, type PollPolicy } from './decide-poll';
import type { WatchEvent } from './events';
import type { EventPublisher, FetchOutcome, Logger, PollStore, ResourceFetcher } from './ports';
import { resourceSubject } from './resource';
import { isPollable, type Watch } from './watch';

export interface PollDeps {
  store: PollStore;
  fetcher: ResourceFetcher;
  publisher: EventPublisher;
  logger: Logger;
  policy: PollPolicy & { concurrency: number };
}

export interface PollSummary {
  watches: number;
  unchanged: number;
  baselines: number;
  changed: number;
  failed: number;
  gone: number;
  conflicts: number;
  eventsPublished: number;
  eventsPending: number;
  /** Fetch failures by kind, e.g. `{ credentials: 3 }`: feeds metrics and alarms. */
  failuresByKind: Record<string, number>;
  /** True when the tick's deadline stopped it before every watch was polled. */
  cutOff: boolean;
}

export interface PollOptions {
  /**
   * The tick's deadline: once aborted, no further watch is started, fetches
   * in flight are abandoned (recorded as timeouts) and the tick finishes what
   * it has, so the next one starts on time.
   */
  signal?: AbortSignal | undefined;
  /** How long a partial batch of events waits for more before it is published. @default 200 */
  publishLingerMs?: number;
}

/** SNS PublishBatch takes at most ten messages. */
const PUBLISH_BATCH = 10;

function emptySummary(): PollSummary {
  return { watches: 0, unchanged: 0, baselines: 0, changed: 0, failed: 0, gone: 0, conflicts: 0, eventsPublished: 0, eventsPending: 0, failuresByKind: {}, cutOff: false };
}

/**
 * One poll tick: every active watch is fetched, compared with its snapshot,
 * and each transition is published exactly under one id.
 *
 * Ordering is what makes this safe: the new snapshot and its events are
 * committed together (conditional on the version read), and only then
 * published. A crash or a publish failure leaves the events in the watch's
 * outbox, and the next tick publishes them with the same ids. A concurrent
 * poller loses the conditional write and publishes nothing.
 *
 * Watches stream through one bounded pool across Scan pages, and events are
 * published in batches as they are decided: one slow upstream holds up its
 * own watch, not the page it came in, nor the publication of the others.
 */
export async function pollWatches(deps: PollDeps, now: Date, options: PollOptions = {}): Promise<PollSummary> {
  const summary = emptySummary();
  const { signal } = options;
  const publisher = new Batcher<WatchEvent>(PUBLISH_BATCH, options.publishLingerMs ?? 200, (events) => publishAndSettle(deps, events, now, summary));
  const pool = new BoundedPool(deps.policy.concurrency);
  pages: for await (const page of deps.store.pollablePages()) {
    for (const watch of page) {
      if (signal?.aborted) {
        summary.cutOff = true;
        break pages;
      }
      await pool.run(async () => {
        summary.watches += 1;
        try {
          publisher.add(await pollOne(deps, watch, now, summary, signal));
        } catch (error) {
          // Retiring a drained watch failed: it stays in the index and is retried next tick.
          summary.failed += 1;
          deps.logger.error('poll of watch failed', { watchId: watch.watchId, error: describe(error) });
        }
      });
    }
  }
  await pool.drain();
  await publisher.close();
  if (summary.cutOff) deps.logger.warn('tick deadline reached; the watches not started are polled next tick', { polled: summary.watches });
  return summary;
}

/** Polls one watch; returns the events it now owes (new and previously unpublished). */
async function pollOne(deps: PollDeps, watch: Watch, now: Date, summary: PollSummary, signal: AbortSignal | undefined): Promise<WatchEvent[]> {
  if (!isPollable(watch)) {
    // Stays in the index only to drain what it still owes; then it leaves.
    summary.unchanged += 1;
    if (watch.outbox.length > 0) return watch.outbox;
    await deps.store.retire(watch.watchId, watch.version);
    return [];
  }
  const fetched = await fetchSafely(deps, watch, signal);
  const decision = decidePoll(watch, fetched, now, deps.policy);

  if (fetched.outcome === 'failed') {
    summary.failed += 1;
    summary.failuresByKind[fetched.error.kind] = (summary.failuresByKind[fetched.error.kind] ?? 0) + 1;
    deps.logger.warn('fetch failed', {
      watchId: watch.watchId,
      resource: resourceSubject(watch.resource),
      kind: fetched.error.kind,
      error: fetched.error.message,
      consecutiveFailures: watch.consecutiveFailures + 1,
    });
  }

  try {
    return await applyDecision(deps, watch, decision, summary);
  } catch (error) {
    // A write that failed is a failed poll: recorded on the watch, counted
    // toward watch.failing, never silence. The watch is retried whole next tick.
    return recordStoreFailure(deps, watch, error, now, summary, fetched.outcome === 'failed');
  }
}

/** Writes what decidePoll decided; returns the events the watch now owes. */
async function applyDecision(deps: PollDeps, watch: Watch, decision: PollDecision, summary: PollSummary): Promise<WatchEvent[]> {
  switch (decision.write) {
    case 'none':
      summary.unchanged += 1;
      return watch.outbox;
    case 'refresh': {
      summary.unchanged += 1;
      await deps.store.refresh(watch.watchId, watch.version, decision.snapshot, decision.polledAt);
      return watch.outbox;
    }
    case 'commit': {
      const { commit } = decision;
      const committed = await deps.store.commit(watch.watchId, watch.version, commit);
      if (!committed) {
        // Another poller moved this watch on; it owns the transition.
        summary.conflicts += 1;
        deps.logger.info('watch changed under us; skipped', { watchId: watch.watchId });
        return [];
      }
      if (watch.snapshot === null && commit.snapshot !== null) summary.baselines += 1;
      if (commit.state === 'gone') summary.gone += 1;
      else if (commit.enqueue.some((e) => e.data.changes.length > 0)) summary.changed += 1;
      return [...watch.outbox, ...commit.enqueue];
    }
  }
}

/**
 * Records a poll whose own write failed (throttled, rejected, unreachable
 * store) as a `store` failure on the watch, through the same decision as any
 * other failure, so it counts toward watch.failing. If even that write fails,
 * the store is out of reach: logged, and the next tick starts over.
 */
async function recordStoreFailure(deps: PollDeps, watch: Watch, error: unknown, now: Date, summary: PollSummary, counted: boolean): Promise<WatchEvent[]> {
  if (!counted) summary.failed += 1;
  summary.failuresByKind.store = (summary.failuresByKind.store ?? 0) + 1;
  const message = `could not record the poll: ${describe(error)}`;
  deps.logger.error('poll of watch failed at the store', { watchId: watch.watchId, error: describe(error) });
  const decision = decidePoll(watch, { outcome: 'failed', error: { kind: 'store', message } }, now, deps.policy);
  if (decision.write !== 'commit') return [];
  try {
    const committed = await deps.store.commit(watch.watchId, watch.version, decision.commit);
    return committed ? [...watch.outbox, ...decision.commit.enqueue] : [];
  } catch (again) {
    deps.logger.error('could not record the store failure either', { watchId: watch.watchId, error: describe(again) });
    return [];
  }
}

async function fetchSafely(deps: PollDeps, watch: Watch, signal: AbortSignal | undefined): Promise<FetchOutcome> {
  try {
    return await deps.fetcher.fetchState(watch.resource, { signal });
  } catch (error) {
    return { outcome: 'failed', error: { kind: 'internal', message: describe(error) } };
  }
}

/** Publishes, keeps history, and clears from each outbox what was accepted. */
async function publishAndSettle(deps: PollDeps, events: WatchEvent[], now: Date, summary: PollSummary): Promise<void> {
  if (events.length === 0) return;
  let failed: Set<string>;
  let errors: string[];
  try {
    const result = await deps.publisher.publish(events);
    failed = new Set(result.failedIds);
    errors = result.errors;
  } catch (error) {
    deps.logger.error('publish failed; events stay in the outbox', { count: events.length, error: describe(error) });
    summary.eventsPending += events.length;
    return;
  }
  const published = events.filter((e) => !failed.has(e.id));
  summary.eventsPublished += published.length;
  summary.eventsPending += failed.size;
  if (failed.size > 0) {
    deps.logger.error('some events were not published; they stay in the outbox', { eventIds: [...failed], errors });
  }
  if (published.length === 0) return;

  try {
    await deps.store.recordHistory(published, now);
  } catch (error) {
    // The outbox keeps them, so the next tick records (and republishes) them under the same ids.
    deps.logger.error('could not record event history; events stay in the outbox', { error: describe(error) });
    return;
  }
  const byWatch = new Map<string, string[]>();
  for (const event of published) {
    byWatch.set(event.data.watchId, [...(byWatch.get(event.data.watchId) ?? []), event.id]);
  }
  await forEachBounded([...byWatch], deps.policy.concurrency, async ([watchId, ids]) => {
    try {
      await deps.store.clearOutbox(watchId, ids);
    } catch (error) {
      // Worst case the next tick publishes these again, under the same ids.
      deps.logger.error('could not clear published events from the outbox', { watchId, error: describe(error) });
    }
  });
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
