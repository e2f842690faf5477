import type { FetchOutcome, ListFailure, Logger } from '../../domain/ports';
import { AutoScientistRunRefSchema, type AutoScientistRunRef } from '../../domain/resource';
import { DATASET_ID_PATTERN } from '../../domain/resource-types/dataset';
import type { FetchLike } from '../http/retrying-fetch';
import { listedRunId, RunListPageSchema, RunResponseSchema, runSnapshot } from './autoscientist-schema';
import { DEFAULT_MAX_BODY_BYTES, failed, failureFromError, interpretListedResource, interpretResourceResponse, LIST_BODY_FACTOR, listFailureFromError, readListResponse, trimBaseUrl } from './response';

export interface AutoScientistClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  logger: Logger;
  /** Bodies over this are not read (a `too_large` failure). @default 1 MiB */
  maxBodyBytes?: number;
  /**
   * A walk that needs more list pages than this stops there; the runs it did
   * not reach get single GETs. 200 pages cover an account of 20,000 runs
   * (about 10 s of pages one after another at 50 ms each). @default 200
   */
  maxWalkPages?: number;
}

/** The list's largest page (as for datasets). */
const LIST_PAGE_LIMIT = 100;

/** What one walk of the runs list found. */
export interface RunWalk {
  ok: true;
  /** Each watched run the walk reached, read as a single GET would read it. */
  runs: Map<string, FetchOutcome>;
  /** False when the walk stopped at its page limit before it reached the end or every wanted run. */
  complete: boolean;
  requests: number;
}

/**
 * Adaption AutoScientist: `GET /api/v1/autoscientist/{id}` and the list
 * `GET /api/v1/autoscientist` (cursor pages of whole runs under `runs`,
 * `dataset_id` filter). Same API key as datasets.
 */
export class AutoScientistClient {
  private readonly baseUrl: string;

  constructor(private readonly options: AutoScientistClientOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
  }

  async fetchRun(ref: AutoScientistRunRef, signal?: AbortSignal): Promise<FetchOutcome> {
    const resource = `autoscientist/${ref.runId}`;
    // Refuse ids that would change the URL's meaning before anything is sent.
    if (!AutoScientistRunRefSchema.safeParse(ref).success) return failed('invalid_request', `invalid run id ${JSON.stringify(ref.runId).slice(0, 80)}`);
    try {
      const response = await this.get(`/api/v1/autoscientist/${encodeURIComponent(ref.runId)}`, signal);
      return await interpretResourceResponse(response, resource, RunResponseSchema, runSnapshot, this.options.logger, this.options.maxBodyBytes);
    } catch (error) {
      return failureFromError(error, resource);
    }
  }

  /**
   * One walk of the runs list, page by page, until every id in `wanted` has
   * been seen or the list ends. The entries are whole runs, so an entry is
   * the run's current state whatever order the list is in: the walk needs
   * no `updated_at` to know where to stop, only the ids it is looking for.
   * Runs it never reaches are left out of `runs` (the caller GETs them).
   */
  async walkRuns(wanted: ReadonlySet<string>, signal?: AbortSignal): Promise<RunWalk | ListFailure> {
    const runs = new Map<string, FetchOutcome>();
    const maxPages = this.options.maxWalkPages ?? 200;
    const what = 'autoscientist list';
    let cursor: string | null = null;
    let missing = wanted.size;
    try {
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({ limit: String(LIST_PAGE_LIMIT) });
        if (cursor) query.set('cursor', cursor);
        const read = await this.readPage(query, what, signal);
        if (!read.ok) return read;
        for (const entry of read.body.runs) {
          const id = listedRunId(entry);
          if (id === undefined || !wanted.has(id) || runs.has(id)) continue;
          runs.set(id, interpretListedResource(entry, `autoscientist/${id}`, RunResponseSchema, runSnapshot, this.options.logger));
          missing -= 1;
        }
        cursor = read.body.next_cursor ?? null;
        if (missing === 0 || cursor === null) return { ok: true, runs, complete: true, requests: page };
        if (page >= maxPages) return { ok: true, runs, complete: false, requests: page };
      }
    } catch (error) {
      return listFailureFromError(error, what);
    }
  }

  /**
   * The newest run of a dataset (largest `created_at`), through the list's
   * `dataset_id` filter: every page is read, since the list's order is not
   * documented. Undefined when the dataset has no run.
   */
  async latestRunOf(datasetId: string, signal?: AbortSignal): Promise<{ ok: true; runId: string | undefined } | ListFailure> {
    const what = `autoscientist list for dataset ${datasetId}`;
    if (!DATASET_ID_PATTERN.test(datasetId)) return { ok: false, error: { kind: 'invalid_request', message: `${what}: invalid dataset id` } };
    const maxPages = this.options.maxWalkPages ?? 200;
    let newest: { id: string; createdMs: number } | undefined;
    let cursor: string | null = null;
    try {
      for (let page = 1; page <= maxPages; page++) {
        const query = new URLSearchParams({ dataset_id: datasetId, limit: String(LIST_PAGE_LIMIT) });
        if (cursor) query.set('cursor', cursor);
        const read = await this.readPage(query, what, signal);
        if (!read.ok) return read;
        for (const entry of read.body.runs) {
          const parsed = RunResponseSchema.safeParse(entry);
          // A filter the upstream ignored must not hand us another dataset's run.
          if (!parsed.success || (parsed.data.dataset_id != null && parsed.data.dataset_id !== datasetId)) continue;
          const createdMs = Date.parse(parsed.data.created_at ?? '');
          const rank = Number.isNaN(createdMs) ? Number.NEGATIVE_INFINITY : createdMs;
          if (newest === undefined || rank > newest.createdMs) newest = { id: parsed.data.id, createdMs: rank };
        }
        cursor = read.body.next_cursor ?? null;
        if (cursor === null) return { ok: true, runId: newest?.id };
      }
      return { ok: false, error: { kind: 'too_large', message: `${what}: more than ${maxPages} pages` } };
    } catch (error) {
      return listFailureFromError(error, what);
    }
  }

  private get(path: string, signal: AbortSignal | undefined): Promise<Response> {
    return this.options.fetch(`${this.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
  }

  private async readPage(query: URLSearchParams, what: string, signal: AbortSignal | undefined) {
    const response = await this.get(`/api/v1/autoscientist?${query}`, signal);
    return readListResponse(response, what, RunListPageSchema, this.options.logger, (this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) * LIST_BODY_FACTOR);
  }
}
