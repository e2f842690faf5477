import { isDeepStrictEqual } from 'node:util';
import { Batcher, BoundedPool, forEachBounded } from './concurrency';
import { decidePoll, type PollDecision, type PollPolicy } from './decide-poll';
import type { WatchEvent } from './events';
import type { EventPublisher, FetchOutcome, ListFailure, Logger, PollStore, ResourceFetcher, ResourceLister, SweepStateStore } from './ports';
import { resourceSubject } from './resource';
import { datasetNeedsFetch, fetchKey, nextHighWaterMark, planTick, sweepFloor, type SweepPolicy } from './sweep-plan';
import { stallDue } from './stall';
import { isPollable, type Watch } from './watch';

export interface PollDeps {
  store: PollStore;
  fetcher: ResourceFetcher;
  publisher: EventPublisher;
  logger: Logger;
  policy: PollPolicy & { concurrency: number };
  /** With these, a tick asks the list endpoints what changed instead of one GET per watch (see sweep-plan.ts). */
  sweeps?: { lister: ResourceLister; state: SweepStateStore; policy: SweepPolicy } | undefined;
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
  /** Upstream requests this tick asked for, by kind (list requests and single GETs). */
  requests: { get: number; projectList: number; datasetList: number; runList: number };
  /** Watches a sweep showed unchanged, so not fetched by themselves (counted in `unchanged` too). */
  sweptUnchanged: number;
  /** List requests that failed or answered an unexpected shape; their watches fell back to single GETs. */
  listFallbacks: number;
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
  /**
   * Sweeps only: the poll index as an earlier sweep of the same invocation
   * read it. The first sweep fills it with one Scan; later ones re-read (with
   * a consistent read) only the watches an earlier sweep fetched or wrote.
   */
  index?: SweepIndex | undefined;
  /**
   * Single GETs only: a tick cut off by its deadline saves where it stopped,
   * and the next one starts there, so watches past the cut are not starved by
   * ticks that never reach them. @default false
   */
  resume?: boolean | undefined;
}

/** The poll index kept between the sweeps of one invocation. */
export interface SweepIndex {
  watches: Map<string, Watch> | undefined;
  /** Watches whose cached copy may be stale: re-read before the next sweep uses them. */
  stale: Set<string>;
}

export function newSweepIndex(): SweepIndex {
  return { watches: undefined, stale: new Set() };
}

/** SNS PublishBatch takes at most ten messages. */
const PUBLISH_BATCH = 10;

export function emptySummary(): PollSummary {
  return {
    watches: 0,
    unchanged: 0,
    baselines: 0,
    changed: 0,
    failed: 0,
    gone: 0,
    conflicts: 0,
    eventsPublished: 0,
    eventsPending: 0,
    failuresByKind: {},
    cutOff: false,
    requests: { get: 0, projectList: 0, datasetList: 0, runList: 0 },
    sweptUnchanged: 0,
    listFallbacks: 0,
  };
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
  const singleGet = memoizedGet(deps, summary, signal);
  const pollInPool = (watch: Watch, source: OutcomeSource, onDone?: (result: { settled: boolean; wrote: boolean }) => void) =>
    pool.run(async () => {
      summary.watches += 1;
      try {
        const { events, settled, wrote } = await pollOne(deps, watch, now, summary, source, () => singleGet(watch));
        onDone?.({ settled, wrote: wrote || events.length > 0 });
        publisher.add(events);
      } catch (error) {
        // Retiring a drained watch failed: it stays in the index and is retried next tick.
        summary.failed += 1;
        deps.logger.error('poll of watch failed', { watchId: watch.watchId, error: describe(error) });
      }
    });

  if (deps.sweeps) {
    await sweepTick(deps, deps.sweeps, now, summary, signal, singleGet, pollInPool, () => pool.drain(), options.index);
  } else {
    let stoppedAt: Watch[] | undefined;
    pages: for await (const page of deps.store.pollablePages({ resume: options.resume ?? false })) {
      for (const watch of page) {
        if (signal?.aborted) {
          summary.cutOff = true;
          stoppedAt = page;
          break pages;
        }
        await pollInPool(watch, () => singleGet(watch));
      }
    }
    if (options.resume) await (stoppedAt ? deps.store.resumeAt?.(stoppedAt) : deps.store.finishedPass?.());
  }
  await pool.drain();
  await publisher.close();
  if (summary.cutOff) deps.logger.warn('tick deadline reached; the watches not started are polled next tick', { polled: summary.watches });
  return summary;
}

/** Where a watch's current state comes from this tick; `unchanged` means a sweep saw no reason to fetch it. */
type OutcomeSource = () => Promise<FetchOutcome | 'unchanged'>;

/** One GET per resource per tick, however many teams watch it. */
function memoizedGet(deps: PollDeps, summary: PollSummary, signal: AbortSignal | undefined): (watch: Watch) => Promise<FetchOutcome> {
  const inFlight = new Map<string, Promise<FetchOutcome>>();
  return (watch) => {
    const key = fetchKey(watch);
    let outcome = inFlight.get(key);
    if (!outcome) {
      summary.requests.get += 1;
      outcome = fetchSafely(deps, watch, signal);
      inFlight.set(key, outcome);
    }
    return outcome;
  };
}

/**
 * A sweep tick: read the whole poll index, plan the fewest list requests,
 * start them, then poll every watch from the lists, falling back to its own
 * GET wherever a list cannot answer for it. The dataset high-water mark
 * moves only after the watches it covers are settled, so a crash mid-sweep
 * makes the next sweep look at the same changes again (same event ids).
 */
async function sweepTick(
  deps: PollDeps,
  sweeps: NonNullable<PollDeps['sweeps']>,
  now: Date,
  summary: PollSummary,
  signal: AbortSignal | undefined,
  singleGet: (watch: Watch) => Promise<FetchOutcome>,
  pollInPool: (watch: Watch, source: OutcomeSource, onDone: (result: { settled: boolean; wrote: boolean }) => void) => Promise<void>,
  allPolled: () => Promise<void>,
  index: SweepIndex | undefined,
): Promise<void> {
  const watches = await indexedWatches(deps, index);
  const state = await sweeps.state.readSweepState();
  const plan = planTick(watches.filter(isPollable), state, now, sweeps.policy);

  const fallbacks: string[] = [];
  const fellBack = (error: ListFailure['error']) => {
    // A list abandoned at the deadline is no fallback: the watches it was for are not started either.
    if (signal?.aborted) return;
    summary.listFallbacks += 1;
    fallbacks.push(error.message);
  };
  const projectLists = new Map(
    plan.projectLists.map((projectId) => {
      summary.requests.projectList += 1;
      const listed = sweeps.lister.listProjectSessions(projectId, { signal }).then((result) => {
        if (!result.ok) fellBack(result.error);
        return result.ok ? result.sessions : undefined;
      });
      return [projectId, listed] as const;
    }),
  );
  const floor = sweepFloor(state, sweeps.policy);
  const datasetSweep = plan.sweepDatasets
    ? sweeps.lister.sweepDatasets(floor, { signal }).then((result) => {
        summary.requests.datasetList += result.ok ? result.requests : 1;
        if (!result.ok) fellBack(result.error);
        return result.ok ? result : undefined;
      })
    : Promise.resolve(undefined);
  const runWalk =
    plan.runWalk.size > 0
      ? sweeps.lister.walkRuns(plan.runWalk, { signal }).then((result) => {
          summary.requests.runList += result.ok ? result.requests : 1;
          if (!result.ok) fellBack(result.error);
          return result.ok ? result : undefined;
        })
      : Promise.resolve(undefined);
  // A sweep with no mark yet only finds the newest entry: every dataset is fetched by itself this once.
  const sweepComplete = (sweep: Awaited<typeof datasetSweep>) => sweep !== undefined && floor !== null;

  const settled = new Set<string>();
  const outcomeFor = (watch: Watch): OutcomeSource => async () => {
    const { resource } = watch;
    if (resource.type === 'correction_session') {
      const sessions = await projectLists.get(resource.projectId);
      const listed = sessions?.get(resource.correctionId);
      // Missing from its project's list, or unreadable there: a GET decides (404 is the only proof of gone).
      if (listed && listed.outcome === 'found') return listed;
      // Finished, with no refresh due and no list of its project this tick: nothing to ask.
      if (!projectLists.has(resource.projectId) && plan.quietSessions.has(watch.watchId)) return 'unchanged';
      return singleGet(watch);
    }
    if (resource.type === 'autoscientist_run') {
      // Settled in a final status, with no refresh due: nothing to ask.
      if (plan.quietRuns.has(watch.watchId)) return 'unchanged';
      const listed = (await runWalk)?.runs.get(resource.runId);
      // Not reached by the walk, unreadable there, or the walk failed: a GET decides (404 is the only proof of gone).
      if (listed && listed.outcome === 'found') return listed;
      return singleGet(watch);
    }
    const sweep = await datasetSweep;
    const listed = sweep?.datasets.get(resource.datasetId);
    if (!datasetNeedsFetch(watch, listed, sweepComplete(sweep), plan.refreshDue.has(watch.watchId))) return 'unchanged';
    return singleGet(watch);
  };

  for (const watch of watches) {
    if (signal?.aborted) {
      summary.cutOff = true;
      break;
    }
    await pollInPool(watch, outcomeFor(watch), ({ settled: done, wrote }) => {
      if (done) settled.add(watch.watchId);
      // Written or owing events: the invocation's copy is stale for its next sweep.
      if (wrote) index?.stale.add(watch.watchId);
    });
  }
  await Promise.all([...projectLists.values(), datasetSweep, runWalk]);
  // Only a poll that has finished counts as settled: the mark is decided once none is in flight.
  await allPolled();
  if (fallbacks.length > 0) deps.logger.warn('list requests failed this tick; their watches were fetched one by one', { fallbacks });

  const sweep = await datasetSweep;
  // The mark stays below any moved dataset whose poll did not settle, so the next sweep lists it again.
  const unfinished = watches.flatMap(({ watchId, resource }) => {
    const updatedAt = resource.type === 'dataset' && !settled.has(watchId) ? sweep?.datasets.get(resource.datasetId)?.updatedAt : undefined;
    return typeof updatedAt === 'string' ? [updatedAt] : [];
  });
  const next = {
    datasetHighWaterMark: sweep ? nextHighWaterMark(state.datasetHighWaterMark, sweep.newest, unfinished) : state.datasetHighWaterMark,
    // A cut-off tick leaves refreshes it never reached due for the next one.
    lastSweepAt: summary.cutOff ? state.lastSweepAt : now.toISOString(),
  };
  try {
    if (!(await sweeps.state.saveSweepState(next, state.version))) {
      deps.logger.info('another poller saved the sweep state first; keeping theirs', { version: state.version });
    }
  } catch (error) {
    // The previous mark stays: the next sweep looks at the same changes again, and their events keep their ids.
    deps.logger.error('could not save the sweep state', { error: describe(error) });
  }
}

/**
 * The watches of a sweep: a Scan of the poll index, or the copy an earlier
 * sweep of this invocation made, with the stale entries read again.
 */
async function indexedWatches(deps: PollDeps, index: SweepIndex | undefined): Promise<Watch[]> {
  if (index?.watches === undefined) {
    const scanned: Watch[] = [];
    for await (const page of deps.store.pollablePages()) scanned.push(...page);
    if (index) {
      index.watches = new Map(scanned.map((watch) => [watch.watchId, watch]));
      index.stale.clear();
    }
    return scanned;
  }
  const cached = index.watches;
  await forEachBounded([...index.stale], deps.policy.concurrency, async (watchId) => {
    const fresh = await deps.store.readIndexedWatch(watchId);
    if (fresh) cached.set(watchId, fresh);
    else cached.delete(watchId);
  });
  index.stale.clear();
  return [...cached.values()];
}

/**
 * Polls one watch; returns the events it now owes (new and previously
 * unpublished), and whether its state is settled: seen and recorded, so a
 * sweep may move past it.
 *
 * `indexed` is the poll index's copy, which may disagree with the item: a
 * global secondary index lags behind its table, and the embedded server
 * (dynalite) writes an item's index entry before the item, so a kill in
 * between leaves the entry ahead. The copy is good enough to plan with, and
 * to decide from while it agrees with the item (every write is conditional
 * on the version it was decided at). Whenever it matters the item decides:
 * a copy that owes events is replaced by its item before anything is
 * published (events only ever come from an item read or from the commit
 * that wrote them), and a write that loses its condition reads the item and
 * decides again, in the same tick, so a disagreeing entry cannot keep a
 * watch stuck.
 */
async function pollOne(
  deps: PollDeps,
  indexed: Watch,
  now: Date,
  summary: PollSummary,
  source: OutcomeSource,
  fetchNow: () => Promise<FetchOutcome>,
): Promise<{ events: WatchEvent[]; settled: boolean; wrote: boolean }> {
  let watch = indexed;
  let readItem = false;
  if (indexed.outbox.length > 0) {
    const item = await deps.store.readIndexedWatch(indexed.watchId);
    // Left the index since (deleted, paused, retired): nothing is owed from this copy.
    if (!item) return { events: [], settled: true, wrote: true };
    watch = item;
    readItem = true;
  }
  if (!isPollable(watch)) {
    // Stays in the index only to drain what it still owes; then it leaves.
    summary.unchanged += 1;
    if (watch.outbox.length > 0) return { events: watch.outbox, settled: true, wrote: readItem };
    await deps.store.retire(watch.watchId, watch.version);
    return { events: [], settled: true, wrote: true };
  }
  // A plan made from a copy the item contradicts does not hold for the item: it is fetched.
  let fetched = readItem && !sameState(watch, indexed) ? await fetchNow() : await source();
  // The sweep saw it standing still: the same state decides whether it has now stood still too long (no request).
  if (fetched === 'unchanged' && stallDue(watch.resource.type, watch.stalledAfterMinutes, watch.snapshot, now) && watch.snapshot) {
    fetched = { outcome: 'found', snapshot: watch.snapshot };
  }
  if (fetched === 'unchanged') {
    // The sweep showed nothing new: no request, no write; only what the outbox still owes.
    summary.unchanged += 1;
    summary.sweptUnchanged += 1;
    return { events: watch.outbox, settled: true, wrote: readItem };
  }

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
    let applied = await applyDecision(deps, watch, decidePoll(watch, fetched, now, deps.policy), summary);
    if (applied === 'conflict' && !readItem) {
      // Decided from a copy the item has moved past (or the copy is ahead of it): the item decides again.
      summary.conflicts += 1;
      deps.logger.info('watch changed under us; deciding again from its item', { watchId: watch.watchId });
      const item = await deps.store.readIndexedWatch(watch.watchId);
      if (!item) return { events: [], settled: true, wrote: true };
      watch = item;
      applied = isPollable(item) ? await applyDecision(deps, item, decidePoll(item, fetched, now, deps.policy), summary) : { events: [], wrote: false };
      // What the item already owed was put there by whoever moved it on, who publishes it; this poll
      // publishes what it committed itself (a stranded outbox shows in the index copy next tick).
      if (applied !== 'conflict') applied = { ...applied, events: applied.events.filter((event) => !item.outbox.includes(event)) };
    }
    if (applied === 'conflict') {
      // The item itself moved on while this poll decided from it: another poller owns the transition.
      if (readItem) summary.conflicts += 1;
      deps.logger.info('watch changed under us; skipped', { watchId: watch.watchId });
      return { events: [], settled: fetched.outcome !== 'failed', wrote: true };
    }
    return { events: applied.events, settled: fetched.outcome !== 'failed', wrote: applied.wrote || readItem || watch !== indexed };
  } catch (error) {
    // A write that failed is a failed poll: recorded on the watch, counted
    // toward watch.failing, never silence. The watch is retried whole next tick.
    return { events: await recordStoreFailure(deps, watch, error, now, summary, fetched.outcome === 'failed'), settled: false, wrote: true };
  }
}

/** Whether two reads of a watch are at the same point: same version, same snapshot, same failure count. */
function sameState(a: Watch, b: Watch): boolean {
  return a.version === b.version && a.consecutiveFailures === b.consecutiveFailures && isDeepStrictEqual(a.snapshot, b.snapshot);
}

/**
 * Writes what decidePoll decided; returns the events the watch now owes, or
 * `conflict` when the write's condition (the version decided at) failed.
 */
async function applyDecision(deps: PollDeps, watch: Watch, decision: PollDecision, summary: PollSummary): Promise<{ events: WatchEvent[]; wrote: boolean } | 'conflict'> {
  switch (decision.write) {
    case 'none':
      summary.unchanged += 1;
      return { events: watch.outbox, wrote: false };
    case 'refresh': {
      if (!(await deps.store.refresh(watch.watchId, watch.version, decision.snapshot, decision.polledAt))) return 'conflict';
      summary.unchanged += 1;
      return { events: watch.outbox, wrote: true };
    }
    case 'commit': {
      const { commit } = decision;
      if (!(await deps.store.commit(watch.watchId, watch.version, commit))) return 'conflict';
      if (watch.snapshot === null && commit.snapshot !== null) summary.baselines += 1;
      if (commit.state === 'gone') summary.gone += 1;
      else if (commit.enqueue.some((e) => e.data.changes.length > 0)) summary.changed += 1;
      return { events: [...watch.outbox, ...commit.enqueue], wrote: true };
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
