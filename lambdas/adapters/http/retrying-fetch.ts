import { createPooledFetch } from './pooled-fetch';

/**
 * A polite HTTP client for upstream APIs: per-attempt timeout, bounded
 * retries with exponential backoff and full jitter on network errors, 429 and
 * 5xx, and `Retry-After` honoured (capped, so one slow upstream cannot stall a
 * poll tick).
 */
export interface RetryPolicy {
  /** Total attempts, including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 10_000 };

export interface RetryingFetchDeps {
  policy: RetryPolicy;
  /** What sends one attempt. @default a keep-alive undici pool (see pooled-fetch) */
  transport?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** The request failed at the transport level on every attempt (network error or timeout). */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
  }
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export function createRetryingFetch(deps: RetryingFetchDeps): FetchLike {
  const { policy } = deps;
  const sleep = deps.sleep ?? sleepFor;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const transport = deps.transport ?? createPooledFetch();

  const backoff = (attempt: number) => {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(random() * ceiling);
  };

  /** Waits, unless the caller gives up first (a tick's deadline). */
  const pause = (ms: number, signal: AbortSignal | undefined) =>
    signal
      ? Promise.race([sleep(ms), new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))])
      : sleep(ms);

  return async (url, init) => {
    const caller = init.signal ?? undefined;
    const abandoned = () => new TransportError('abandoned: the tick deadline passed before an answer', { cause: caller?.reason });
    let lastError: unknown;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      if (caller?.aborted) throw abandoned();
      const isLast = attempt === policy.maxAttempts;
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      let response: Response;
      try {
        response = await transport(url, { ...init, redirect: 'manual', signal: caller ? AbortSignal.any([caller, timeout]) : timeout });
      } catch (error) {
        if (caller?.aborted) throw abandoned();
        lastError = error;
        if (isLast) break;
        await pause(backoff(attempt), caller);
        continue;
      }
      if (!isRetryableStatus(response.status) || isLast) return response;
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'), now());
      // Free the socket before waiting.
      await response.body?.cancel().catch(() => undefined);
      if (retryAfter !== undefined && retryAfter > policy.maxDelayMs) {
        // The upstream asks for longer than a tick can wait: give up for now,
        // the next tick retries.
        return new Response(null, { status: response.status, headers: response.headers });
      }
      await pause(retryAfter ?? backoff(attempt), caller);
    }
    const reason = lastError instanceof Error && lastError.name === 'TimeoutError' ? `timed out after ${policy.timeoutMs} ms` : describeNetworkError(lastError);
    throw new TransportError(`${reason} (${policy.maxAttempts} attempts)`, { cause: lastError });
  };
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${error.message}: ${cause.code}` : error.message;
}
