import type { WatchEvent } from './events';
import type { ResourceRef } from './resource';
import type { Snapshot } from './snapshot';
import type { ListedDataset, SweepState } from './sweep-plan';
import type { LastError, Watch, WatchState } from './watch';

/** Why a fetch did not produce a state. None of these is a resource change. */
export type FetchErrorKind =
  | 'credentials' // 401/403: our credentials, never the resource
  | 'unavailable' // network error, timeout, 429 or 5xx after retries
  | 'malformed' // the body did not match the documented schema
  | 'too_large' // the body was larger than the configured cap; reading stopped there
  | 'invalid_request' // the id was refused before any request was sent
  | 'internal' // a bug on our side
  | 'store'; // the poll could not write its result; counts toward watch.failing like the rest

export type FetchOutcome =
  | { outcome: 'found'; snapshot: Snapshot }
  | { outcome: 'gone' }
  | { outcome: 'failed'; error: { kind: FetchErrorKind; message: string } };

/** Fetches the current state of one watched resource. */
export interface ResourceFetcher {
  /** `signal` aborts the fetch (a poll tick's deadline): it then fails as `unavailable`. */
  fetchState(resource: ResourceRef, options?: { signal?: AbortSignal | undefined }): Promise<FetchOutcome>;
}

/** Finds a dataset's newest AutoScientist run (registration by dataset, `latest: true`). */
export interface LatestRunFinder {
  /** `runId` is undefined when the dataset has no run. */
  latestRunOf(datasetId: string, options?: { signal?: AbortSignal | undefined }): Promise<{ ok: true; runId: string | undefined } | ListFailure>;
}

/** A list request that did not give a usable answer: the tick falls back to single GETs. */
export interface ListFailure {
  ok: false;
  /** `message` starts with the request it is about (`datasets list: …`, `projects/7/corrections: …`), as logs show it. */
  error: { kind: FetchErrorKind; message: string };
}

/** The upstreams' list endpoints, as sweeps use them. */
export interface ResourceLister {
  /**
   * Every session of one project, each already read as a single GET would
   * read it (a malformed entry is a `failed` outcome for that session only).
   */
  listProjectSessions(projectId: number, options?: { signal?: AbortSignal | undefined }): Promise<{ ok: true; sessions: Map<number, FetchOutcome> } | ListFailure>;
  /**
   * Datasets by `updated_at`, newest first, down to `floor` (all of the first
   * page when there is none yet); `newest` is the first entry's `updated_at`.
   */
  sweepDatasets(
    floor: string | null,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<{ ok: true; datasets: Map<string, ListedDataset>; newest: string | null; requests: number } | ListFailure>;
  /**
   * One walk of the AutoScientist runs list until every run in `wanted` has
   * been seen or the list ends; each run reached is read as a single GET
   * would read it. `complete` is false when the walk stopped at its page
   * limit first.
   */
  walkRuns(
    wanted: ReadonlySet<string>,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<{ ok: true; runs: Map<string, FetchOutcome>; complete: boolean; requests: number } | ListFailure>;
}

/** Where the poller keeps its sweep state (one item, conditional writes). */
export interface SweepStateStore {
  readSweepState(): Promise<SweepState>;
  /** False when another poller saved since `expectedVersion` was read. */
  saveSweepState(state: Omit<SweepState, 'version'>, expectedVersion: number): Promise<boolean>;
}

/** A write that advances the watch's version (and may enqueue events). */
export interface WatchCommit {
  newVersion: number;
  snapshot: Snapshot | null;
  state: WatchState;
  consecutiveFailures: number;
  lastError: LastError | null;
  lastPolledAt: string;
  /** Appended to the watch's outbox in the same write. */
  enqueue: WatchEvent[];
}

/** The store as the poller uses it. */
export interface PollStore {
  /**
   * Active, unpaused watches, a page at a time. With `resume`, starting where
   * the last cut-off tick stopped (see resumeAt).
   */
  pollablePages(options?: { resume?: boolean }): AsyncIterable<Watch[]>;
  /** The tick was cut off at this page (its first not wholly started): the next resumable pass starts there. */
  resumeAt?(page: Watch[]): Promise<void>;
  /** The tick went through every page: the next pass starts from the beginning. */
  finishedPass?(): Promise<void>;
  /**
   * One watch, read consistently, if it is still in the poll index (a later
   * sweep of the same invocation re-reads what it wrote before writing again).
   */
  readIndexedWatch(watchId: string): Promise<Watch | undefined>;
  /** Conditional on the watch still being at `expectedVersion`; false when another writer got there first. */
  commit(watchId: string, expectedVersion: number, commit: WatchCommit): Promise<boolean>;
  /** Refreshes context and the poll time without changing the version; false on a version conflict. */
  refresh(watchId: string, expectedVersion: number, snapshot: Snapshot, polledAt: string): Promise<boolean>;
  /**
   * Takes a paused or gone watch out of the poll index, once its outbox is
   * empty (conditional on the version, so no event enqueued meanwhile is stranded).
   */
  retire(watchId: string, expectedVersion: number): Promise<boolean>;
  /** Keeps published events in the watch's history (idempotent by event id). */
  recordHistory(events: WatchEvent[], now: Date): Promise<void>;
  /** Removes published events from the outbox. */
  clearOutbox(watchId: string, eventIds: string[]): Promise<void>;
}

export interface PublishResult {
  /** Ids of events that were not accepted; they stay in the outbox for the next poll. */
  failedIds: string[];
  /** Why, one line per failed call or entry. */
  errors: string[];
}

export interface EventPublisher {
  publish(events: WatchEvent[]): Promise<PublishResult>;
}

/** Structured logger (Powertools' Logger fits this shape). */
export interface Logger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Keeps a secret (a webhook signing secret) encrypted at rest. `context`
 * names what the secret belongs to and is bound into the ciphertext, so a
 * sealed value copied onto another subscription does not open.
 */
export interface SecretBox {
  seal(plaintext: string, context: Record<string, string>): Promise<string>;
  open(sealed: string, context: Record<string, string>): Promise<string>;
}
