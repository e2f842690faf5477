import { z } from 'zod';
import type { FetchOutcome, ListFailure, Logger } from '../../domain/ports';
import { CorrectionSessionRefSchema, type CorrectionSessionRef } from '../../domain/resource';
import type { FetchLike } from '../http/retrying-fetch';
import type { DeepOpinionAuth } from './deepopinion-auth';
import { correctionSnapshot, CorrectionSessionResponseSchema } from './deepopinion-schema';
import {
  DEFAULT_MAX_BODY_BYTES,
  failed,
  failureFromError,
  interpretListedResource,
  interpretResourceResponse,
  LIST_BODY_FACTOR,
  listFailureFromError,
  readListResponse,
  trimBaseUrl,
} from './response';

/** `GET /projects/{p}/corrections`: a bare array; each entry is read on its own, so one bad entry spoils only itself. */
const SessionListSchema = z.array(z.unknown());
const EntryIdSchema = z.object({ id: z.number().int() });

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
      const response = await this.authorizedGet(url, signal);
      return await interpretResourceResponse(response, resource, CorrectionSessionResponseSchema, correctionSnapshot, this.options.logger, this.options.maxBodyBytes);
    } catch (error) {
      return failureFromError(error, resource);
    }
  }

  /** Every session of a project in one request, each read as its single GET would be. */
  async listProjectSessions(projectId: number, signal?: AbortSignal): Promise<{ ok: true; sessions: Map<number, FetchOutcome> } | ListFailure> {
    const what = `projects/${projectId}/corrections`;
    if (!Number.isSafeInteger(projectId) || projectId < 1) return { ok: false, error: { kind: 'invalid_request', message: `${what}: invalid project id` } };
    try {
      const response = await this.authorizedGet(`${this.baseUrl}/projects/${encodeURIComponent(projectId)}/corrections`, signal);
      const maxBytes = (this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) * LIST_BODY_FACTOR;
      const read = await readListResponse(response, what, SessionListSchema, this.options.logger, maxBytes);
      if (!read.ok) return read;
      const sessions = new Map<number, FetchOutcome>();
      for (const entry of read.body) {
        const id = EntryIdSchema.safeParse(entry);
        // An entry without a readable id cannot be matched to a watch; its watch is fetched by itself.
        if (!id.success) continue;
        sessions.set(id.data.id, interpretListedResource(entry, `${what}/${id.data.id}`, CorrectionSessionResponseSchema, correctionSnapshot, this.options.logger));
      }
      return { ok: true, sessions };
    } catch (error) {
      return listFailureFromError(error, what);
    }
  }

  /** A GET with the current token; after a 401, one new login and one retry (the token may have expired early). */
  private async authorizedGet(url: string, signal: AbortSignal | undefined): Promise<Response> {
    const token = await this.options.auth.token();
    const response = await this.get(url, token, signal);
    if (response.status !== 401 || !this.options.auth.canRefresh) return response;
    await response.body?.cancel().catch(() => undefined);
    this.options.auth.invalidate(token);
    return this.get(url, await this.options.auth.token(), signal);
  }

  private get(url: string, token: string, signal: AbortSignal | undefined): Promise<Response> {
    return this.options.fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, ...(signal ? { signal } : {}) });
  }
}
