import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { isAllowedDestination, isInternalHostName, normalizeHost } from '../../domain/url-policy';
import { parseRetryAfter } from './retrying-fetch';

/**
 * POSTs to a subscriber's URL without letting the URL reach inside our
 * network: the host is resolved at delivery time, every address it resolves
 * to must be public, and the socket must actually be connected to one.
 * Resolution happens inside the connection's own `lookup`, so the address
 * checked is the address used (no DNS-rebinding window). Redirects are never
 * followed.
 */
export interface SafePostOptions {
  timeoutMs: number;
  /** Local development only: admit loopback receivers (http or https). */
  allowLoopback: boolean;
  /** Name resolution; injectable so tests can point a name at any address. */
  resolve?: (hostname: string) => Promise<Array<{ address: string; family: number }>>;
}

export interface PostResult {
  /** 2xx. */
  ok: boolean;
  statusCode?: number;
  latencyMs: number;
  /** From a Retry-After header, when the receiver sent one. */
  retryAfterMs?: number;
  /**
   * The start of a refusal's body (non-2xx, at most ERROR_BODY_BYTES), for
   * receivers that explain themselves there: Discord's 429 carries its
   * `retry_after`, its 404 the code of an unknown webhook.
   */
  body?: string;
  error?: string;
  /** The destination was refused before or at connection time. */
  refused?: boolean;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
/** How much of a refusal's body is kept (the rest is read and dropped). */
export const ERROR_BODY_BYTES = 4 * 1024;

export class RefusedDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedDestinationError';
  }
}

export function safePostJson(rawUrl: string, body: string, headers: Record<string, string>, options: SafePostOptions): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const allowed = (address: string) => isAllowedDestination(address, options);

  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return Promise.resolve({ ok: false, latencyMs: 0, refused: true, error: 'invalid URL' });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = ipaddr.isValid(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowLoopback)) {
    return Promise.resolve({ ok: false, latencyMs: 0, refused: true, error: `refused: ${url.protocol} is not allowed` });
  }
  if (literal && !allowed(host)) {
    return Promise.resolve({ ok: false, latencyMs: 0, refused: true, error: `refused: ${host} is not a public address` });
  }
  // Judged by name too, in any spelling, before a resolver is asked: a name
  // like `metadata.google.internal.` must not depend on what DNS says it is.
  // Under the local switch, `localhost` is the loopback it names.
  const name = normalizeHost(host);
  if (!literal && isInternalHostName(name) && !(options.allowLoopback && name === 'localhost')) {
    return Promise.resolve({ ok: false, latencyMs: 0, refused: true, error: `refused: ${name} is an internal host name` });
  }

  const resolve = options.resolve ?? ((name: string) => dnsLookup(name, { all: true, verbatim: true }));
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find((a) => !allowed(a.address));
        if (addresses.length === 0 || refused) {
          callback(new RefusedDestinationError(`refused: ${hostname} resolves to ${refused?.address ?? 'nothing'}, not a public address`), '', 4);
        } else if (lookupOptions.all) {
          (callback as unknown as (error: null, addresses: Array<{ address: string; family: number }>) => void)(null, addresses);
        } else {
          const first = addresses[0] as { address: string; family: number };
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };

  return new Promise<PostResult>((settle) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      settle({ ...result, latencyMs: elapsed() });
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(literal ? {} : { lookup }),
        timeout: options.timeoutMs,
        agent: false,
      },
      (res) => {
        let size = 0;
        const kept: Buffer[] = [];
        const keep = (res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300;
        res.on('data', (chunk: Buffer) => {
          if (keep && size < ERROR_BODY_BYTES) kept.push(chunk.subarray(0, ERROR_BODY_BYTES - size));
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) res.destroy();
        });
        const done = () => {
          const statusCode = res.statusCode ?? 0;
          const retryAfterMs = parseRetryAfter(headerValue(res.headers['retry-after']), Date.now());
          const refusal = Buffer.concat(kept).toString('utf8');
          finish({
            ok: statusCode >= 200 && statusCode < 300,
            statusCode,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            ...(keep && refusal !== '' ? { body: refusal } : {}),
            ...(statusCode >= 300 && statusCode < 400 ? { error: 'redirects are not followed' } : {}),
          });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('socket', (socket) => {
      socket.on('connect', () => {
        // Belt and braces: judge the address we are actually connected to.
        const remote = socket.remoteAddress ?? '';
        if (!allowed(remote)) req.destroy(new RefusedDestinationError(`refused: connected to ${remote}, not a public address`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    req.on('error', (error) => {
      const refused = error instanceof RefusedDestinationError;
      finish({ ok: false, error: refused ? error.message : `${error.message}${(error as NodeJS.ErrnoException).code ? ` (${(error as NodeJS.ErrnoException).code})` : ''}`, ...(refused ? { refused } : {}) });
    });
    req.end(body);
  });
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
