import type { z } from 'zod';
import type { FetchErrorKind, FetchOutcome, ListFailure, Logger } from '../../domain/ports';
import { TransportError } from '../http/retrying-fetch';
import { boundSnapshot, cutText } from '../../domain/snapshot';
import type { Mapped } from './adaption-schema';

/** A failure talking to an upstream, already classified. */
export class UpstreamFailure extends Error {
  constructor(
    readonly kind: FetchErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamFailure';
  }
}

export function failed(kind: FetchErrorKind, message: string): FetchOutcome {
  return { outcome: 'failed', error: { kind, message } };
}

/** Upstream bodies are read up to this many bytes unless configured otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON body, but never more than `maxBytes` of it: a declared
 * Content-Length over the cap is refused unread, and a stream that passes the
 * cap is cancelled there. One huge answer costs at most the cap in memory.
 */
export async function readJsonCapped(response: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new UpstreamFailure('too_large', `body of ${declared} bytes is over the ${maxBytes}-byte cap`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        // The connection broke mid-body: the upstream is unavailable, not malformed.
        throw new TransportError(`body read failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      const { done, value } = chunk;
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new UpstreamFailure('too_large', `body is over the ${maxBytes}-byte cap; stopped reading`);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BodyNotJson(error instanceof Error ? error.message : String(error));
  }
}

class BodyNotJson extends Error {}

/** Maps an exception from the HTTP layer to a fetch outcome. */
export function failureFromError(error: unknown, resource: string): FetchOutcome {
  if (error instanceof UpstreamFailure) return failed(error.kind, `${resource}: ${error.message}`);
  if (error instanceof TransportError) return failed('unavailable', `${resource}: ${error.message}`);
  return failed('internal', `${resource}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Names each failing field, e.g. `status: expected string, received number`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/**
 * Turns an upstream response into an outcome: 200 is parsed and mapped, 404
 * means the resource is gone, 401/403 are our credentials (never a change),
 * anything else is the upstream being unavailable.
 */
export async function interpretResourceResponse<S extends z.ZodType>(
  response: Response,
  resource: string,
  schema: S,
  map: (body: z.infer<S>) => Mapped,
  logger: Logger,
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<FetchOutcome> {
  const read = await readResourceBody(response, resource, schema, logger, maxBodyBytes);
  return read.ok ? foundOutcome(map(read.body), resource, logger) : read.outcome;
}

/** A resource's 200 body read into `schema`, or the outcome that says why not (see interpretResourceResponse). */
export async function readResourceBody<S extends z.ZodType>(
  response: Response,
  resource: string,
  schema: S,
  logger: Logger,
  maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
): Promise<{ ok: true; body: z.infer<S> } | { ok: false; outcome: FetchOutcome }> {
  const fail = (outcome: FetchOutcome) => ({ ok: false as const, outcome });
  if (response.status === 404) {
    await response.body?.cancel().catch(() => undefined);
    return fail({ outcome: 'gone' });
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    return fail(failed('credentials', `${resource}: upstream answered ${response.status}; check the credentials and the project role`));
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    return fail(failed('unavailable', `${resource}: upstream answered ${response.status}`));
  }
  let body: unknown;
  try {
    body = await readJsonCapped(response, maxBodyBytes);
  } catch (error) {
    if (error instanceof UpstreamFailure) {
      logger.error('upstream response too large; not read', { resource, detail: error.message });
      return fail(failed(error.kind, `${resource}: ${error.message}`));
    }
    if (!(error instanceof BodyNotJson)) throw error;
    return fail(malformed(logger, resource, `body is not JSON (${error.message})`));
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return fail(malformed(logger, resource, describeZodError(parsed.error)));
  return { ok: true, body: parsed.data };
}

/** A mapped resource as a `found` outcome: its warnings logged, its text bounded. */
export function foundOutcome({ snapshot, warnings }: Mapped, resource: string, logger: Logger): FetchOutcome {
  for (const warning of warnings) logger.warn('upstream sent an undocumented value; passing it through', { resource, warning: cutText(warning, 200) });
  return { outcome: 'found', snapshot: boundSnapshot(snapshot) };
}

function malformed(logger: Logger, resource: string, detail: string): FetchOutcome {
  logger.error('malformed upstream response', { resource, detail });
  return failed('malformed', `${resource}: malformed response: ${detail}`);
}

export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** List bodies hold many resources: they may be this many times the single-resource cap. */
export const LIST_BODY_FACTOR = 16;

function listFailed(kind: FetchErrorKind, message: string): ListFailure {
  return { ok: false, error: { kind, message } };
}

/**
 * Reads a list endpoint's answer into `schema`, or says why it cannot be
 * used (status, size, shape), so the tick falls back to single GETs.
 */
export async function readListResponse<S extends z.ZodType>(
  response: Response,
  what: string,
  schema: S,
  logger: Logger,
  maxBodyBytes: number,
): Promise<{ ok: true; body: z.infer<S> } | ListFailure> {
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    const kind = response.status === 401 || response.status === 403 ? 'credentials' : 'unavailable';
    return listFailed(kind, `${what}: upstream answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await readJsonCapped(response, maxBodyBytes);
  } catch (error) {
    if (error instanceof UpstreamFailure) return listFailed(error.kind, `${what}: ${error.message}`);
    if (error instanceof TransportError) return listFailed('unavailable', `${what}: ${error.message}`);
    if (!(error instanceof BodyNotJson)) throw error;
    logger.error('malformed upstream list response', { list: what, detail: error.message });
    return listFailed('malformed', `${what}: body is not JSON`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const detail = describeZodError(parsed.error);
    logger.error('upstream list answered in an unexpected shape', { list: what, detail: cutText(detail, 300) });
    return listFailed('malformed', `${what}: unexpected shape: ${cutText(detail, 300)}`);
  }
  return { ok: true, body: parsed.data };
}

/** Reads one entry of a list as a single GET would read it. */
export function interpretListedResource<S extends z.ZodType>(entry: unknown, resource: string, schema: S, map: (body: z.infer<S>) => Mapped, logger: Logger): FetchOutcome {
  const parsed = schema.safeParse(entry);
  if (!parsed.success) return malformed(logger, resource, describeZodError(parsed.error));
  return foundOutcome(map(parsed.data), resource, logger);
}

/** Any thrown failure of a list request, as a list failure. */
export function listFailureFromError(error: unknown, what: string): ListFailure {
  const outcome = failureFromError(error, what);
  return outcome.outcome === 'failed' ? { ok: false, error: outcome.error } : listFailed('internal', what);
}
