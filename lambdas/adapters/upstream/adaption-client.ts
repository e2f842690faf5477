import type { z } from 'zod';
import type { FetchOutcome, ListFailure, Logger } from '../../domain/ports';
import type { ListedDataset } from '../../domain/sweep-plan';
import { DatasetRefSchema, type DatasetRef } from '../../domain/resource';
import type { FetchLike } from '../http/retrying-fetch';
import {
  AMBIGUOUS_SINGLE_GET_STATUS,
  DatasetEvaluationResponseSchema,
  DatasetListPageSchema,
  datasetSnapshot,
  DatasetResponseSchema,
  DatasetStatusResponseSchema,
  needsEvaluationStatus,
  type DatasetEvaluationResponse,
  type DatasetStatusResponse,
} from './adaption-schema';
import { DEFAULT_MAX_BODY_BYTES, failed, failureFromError, foundOutcome, LIST_BODY_FACTOR, listFailureFromError, readListResponse, readResourceBody, trimBaseUrl } from './response';

export interface AdaptionClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  logger: Logger;
  /** Bodies over this are not read (a `too_large` failure). @default 1 MiB */
  maxBodyBytes?: number;
  /** A sweep that needs more list pages than this falls back to single GETs. @default 50 */
  maxSweepPages?: number;
}

/** The list's largest page. */
const LIST_PAGE_LIMIT = 100;

/** Adaption Labs datasets API: `GET /api/v1/datasets/{dataset_id}`. */
export class AdaptionClient {
  private readonly baseUrl: string;

  constructor(private readonly options: AdaptionClientOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
  }

  /**
   * A dataset's state: `GET /api/v1/datasets/{id}`, completed by
   * `GET …/status` when that answer says `pending` (it may be waiting for
   * input) and by `GET …/evaluation` when a succeeded run has no summary (a
   * skipped evaluation brings no grade). See datasetSnapshot for the rule.
   */
  async fetchDataset(ref: DatasetRef, signal?: AbortSignal): Promise<FetchOutcome> {
    const resource = `datasets/${ref.datasetId}`;
    // Refuse ids that would change the URL's meaning before anything is sent.
    if (!DatasetRefSchema.safeParse(ref).success) return failed('invalid_request', `invalid dataset id ${JSON.stringify(ref.datasetId).slice(0, 80)}`);
    const url = `${this.baseUrl}/api/v1/datasets/${encodeURIComponent(ref.datasetId)}`;
    try {
      const read = await readResourceBody(await this.get(url, signal), resource, DatasetResponseSchema, this.options.logger, this.options.maxBodyBytes);
      if (!read.ok) return read.outcome;
      let status: DatasetStatusResponse | undefined;
      if (read.body.status === AMBIGUOUS_SINGLE_GET_STATUS) {
        const asked = await this.readPart(`${url}/status`, `${resource}/status`, DatasetStatusResponseSchema, signal);
        // Without it the status is not known: a failed poll, never a guess that could flap.
        if (!asked.ok) return asked.outcome;
        status = asked.body;
      }
      let evaluation: DatasetEvaluationResponse | null = null;
      if (needsEvaluationStatus(read.body, status?.status ?? read.body.status)) {
        const asked = await this.readPart(`${url}/evaluation`, `${resource}/evaluation`, DatasetEvaluationResponseSchema, signal);
        // Context only: an evaluation that cannot be read leaves its status unknown, the rest stands.
        if (asked.ok) evaluation = asked.body;
        else this.options.logger.warn('dataset evaluation could not be read; its status stays unknown', { resource, outcome: asked.outcome.outcome });
      }
      return foundOutcome(datasetSnapshot(read.body, { ...(status ? { status } : {}), evaluation }), resource, this.options.logger);
    } catch (error) {
      return failureFromError(error, resource);
    }
  }

  /** A sub-resource of a dataset that exists: its 404 is no proof the dataset is gone (the endpoint may be missing). */
  private async readPart<S extends z.ZodType>(url: string, what: string, schema: S, signal: AbortSignal | undefined): Promise<{ ok: true; body: z.infer<S> } | { ok: false; outcome: FetchOutcome }> {
    const read = await readResourceBody(await this.get(url, signal), what, schema, this.options.logger, this.options.maxBodyBytes);
    if (read.ok || read.outcome.outcome !== 'gone') return read;
    return { ok: false, outcome: failed('unavailable', `${what}: upstream answered 404`) };
  }

  private get(url: string, signal: AbortSignal | undefined): Promise<Response> {
    return this.options.fetch(url, {
      headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * `GET /api/v1/datasets?sort=updated_at&sort_direction=desc`, page by page,
   * until an entry is older than `floor` (only the first page without one).
   */
  async sweepDatasets(
    floor: string | null,
    signal?: AbortSignal,
  ): Promise<{ ok: true; datasets: Map<string, ListedDataset>; newest: string | null; requests: number } | ListFailure> {
    const datasets = new Map<string, ListedDataset>();
    const floorMs = floor === null ? null : Date.parse(floor);
    const maxPages = this.options.maxSweepPages ?? 50;
    let newest: string | null = null;
    let cursor: string | null = null;
    const what = 'datasets list';
    try {
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({ sort: 'updated_at', sort_direction: 'desc', limit: String(LIST_PAGE_LIMIT) });
        if (cursor) query.set('cursor', cursor);
        const response = await this.get(`${this.baseUrl}/api/v1/datasets?${query}`, signal);
        const read = await readListResponse(response, what, DatasetListPageSchema, this.options.logger, (this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) * LIST_BODY_FACTOR);
        if (!read.ok) return read;
        let reachedFloor = floorMs === null;
        for (const entry of read.body.datasets) {
          const updatedAt = entry.updated_at ?? null;
          if (newest === null && page === 1) newest = updatedAt;
          const updatedMs = updatedAt === null ? Number.NaN : Date.parse(updatedAt);
          if (floorMs !== null && updatedMs < floorMs) {
            reachedFloor = true;
            break;
          }
          datasets.set(entry.dataset_id, { status: entry.status, updatedAt });
        }
        cursor = read.body.next_cursor ?? null;
        if (reachedFloor || cursor === null) return { ok: true, datasets, newest, requests: page };
        if (page >= maxPages) {
          return { ok: false, error: { kind: 'too_large', message: `${what}: more than ${maxPages} pages changed since the last sweep` } };
        }
      }
    } catch (error) {
      return listFailureFromError(error, what);
    }
  }
}
