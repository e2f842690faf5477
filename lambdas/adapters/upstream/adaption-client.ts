import type { FetchOutcome, Logger } from '../../domain/ports';
import { DatasetRefSchema, type DatasetRef } from '../../domain/resource';
import type { FetchLike } from '../http/retrying-fetch';
import { datasetSnapshot, DatasetResponseSchema } from './adaption-schema';
import { failed, failureFromError, interpretResourceResponse, trimBaseUrl } from './response';

export interface AdaptionClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  logger: Logger;
  /** Bodies over this are not read (a `too_large` failure). @default 1 MiB */
  maxBodyBytes?: number;
}

/** Adaption Labs datasets API: `GET /api/v1/datasets/{dataset_id}`. */
export class AdaptionClient {
  private readonly baseUrl: string;

  constructor(private readonly options: AdaptionClientOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
  }

  async fetchDataset(ref: DatasetRef, signal?: AbortSignal): Promise<FetchOutcome> {
    const resource = `datasets/${ref.datasetId}`;
    // Refuse ids that would change the URL's meaning before anything is sent.
    if (!DatasetRefSchema.safeParse(ref).success) return failed('invalid_request', `invalid dataset id ${JSON.stringify(ref.datasetId).slice(0, 80)}`);
    const url = `${this.baseUrl}/api/v1/datasets/${encodeURIComponent(ref.datasetId)}`;
    try {
      const response = await this.options.fetch(url, {
        headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
        ...(signal ? { signal } : {}),
      });
      return await interpretResourceResponse(response, resource, DatasetResponseSchema, datasetSnapshot, this.options.logger);
    } catch (error) {
      return failureFromError(error, resource);
    }
  }
}
