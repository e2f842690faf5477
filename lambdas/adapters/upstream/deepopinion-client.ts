import type { FetchOutcome, Logger } from '../../domain/ports';
import { CorrectionSessionRefSchema, type CorrectionSessionRef } from '../../domain/resource';
import type { FetchLike } from '../http/retrying-fetch';
import type { DeepOpinionAuth } from './deepopinion-auth';
import { correctionSnapshot, CorrectionSessionResponseSchema } from './deepopinion-schema';
import { failed, failureFromError, interpretResourceResponse, trimBaseUrl } from './response';

export interface DeepOpinionClientOptions {
  baseUrl: string;
  auth: DeepOpinionAuth;
  fetch: FetchLike;
  logger: Logger;
  /** Bodies over this are not read (a `too_large` failure). @default 1 MiB */
  maxBodyBytes?: number;
}

/** DeepOpinion Studio: `GET /projects/{project_id}/corrections/{correction_id}`. */
export class DeepOpinionClient {
  private readonly baseUrl: string;

  constructor(private readonly options: DeepOpinionClientOptions) {
    this.baseUrl = trimBaseUrl(options.baseUrl);
  }

  async fetchCorrectionSession(ref: CorrectionSessionRef, signal?: AbortSignal): Promise<FetchOutcome> {
    const resource = `projects/${ref.projectId}/corrections/${ref.correctionId}`;
    if (!CorrectionSessionRefSchema.safeParse(ref).success) return failed('invalid_request', `invalid correction session id ${resource.slice(0, 80)}`);
    const url = `${this.baseUrl}/projects/${encodeURIComponent(ref.projectId)}/corrections/${encodeURIComponent(ref.correctionId)}`;
    try {
      const token = await this.options.auth.token();
      let response = await this.get(url, token, signal);
      if (response.status === 401 && this.options.auth.canRefresh) {
        // The token may have expired early: log in again, once for this request.
        await response.body?.cancel().catch(() => undefined);
        this.options.auth.invalidate(token);
        response = await this.get(url, await this.options.auth.token(), signal);
      }
      return await interpretResourceResponse(response, resource, CorrectionSessionResponseSchema, correctionSnapshot, this.options.logger);
    } catch (error) {
      return failureFromError(error, resource);
    }
  }

  private get(url: string, token: string, signal: AbortSignal | undefined): Promise<Response> {
    return this.options.fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, ...(signal ? { signal } : {}) });
  }
}
