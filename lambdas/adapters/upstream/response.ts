import type { z } from 'zod';
import type { FetchErrorKind, FetchOutcome, Logger } from '../../domain/ports';
import { TransportError } from '../http/retrying-fetch';
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
): Promise<FetchOutcome> {
  if (response.status === 404) {
    await response.body?.cancel().catch(() => undefined);
    return { outcome: 'gone' };
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => undefined);
    return failed('credentials', `${resource}: upstream answered ${response.status}; check the credentials and the project role`);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    return failed('unavailable', `${resource}: upstream answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    return malformed(logger, resource, `body is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return malformed(logger, resource, describeZodError(parsed.error));
  const { snapshot, warnings } = map(parsed.data);
  for (const warning of warnings) logger.warn('upstream sent an undocumented value; passing it through', { resource, warning });
  return { outcome: 'found', snapshot };
}

function malformed(logger: Logger, resource: string, detail: string): FetchOutcome {
  logger.error('malformed upstream response', { resource, detail });
  return failed('malformed', `${resource}: malformed response: ${detail}`);
}

export function trimBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
