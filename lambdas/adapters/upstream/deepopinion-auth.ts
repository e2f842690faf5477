import type { FetchLike } from '../http/retrying-fetch';
import { LoginResponseSchema } from './deepopinion-schema';
import { describeZodError, readJsonCapped, UpstreamFailure } from './response';

/** A login answer is a token and two short strings. */
const LOGIN_BODY_LIMIT = 64 * 1024;

export type DeepOpinionCredentials = { token: string } | { email: string; password: string };

export interface DeepOpinionAuthOptions {
  baseUrl: string;
  credentials: DeepOpinionCredentials;
  fetch: FetchLike;
  now?: () => number;
}

/** Refresh this long before a token's `exp`, so no request races its expiry. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * Supplies DeepOpinion bearer tokens: a configured token as it is, or one
 * from `POST /auth/login`, cached until shortly before its JWT `exp` (the
 * lifetime is undocumented, so a token without `exp` is kept until a 401).
 * Concurrent callers share one login.
 */
export class DeepOpinionAuth {
  private cached: { token: string; expiresAt: number } | null = null;
  private pendingLogin: Promise<string> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: DeepOpinionAuthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether a rejected token can be replaced by logging in again. */
  get canRefresh(): boolean {
    return 'email' in this.options.credentials;
  }

  async token(): Promise<string> {
    const { credentials } = this.options;
    if ('token' in credentials) return credentials.token;
    if (this.cached && this.cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.cached.token;
    this.pendingLogin ??= this.login(credentials).finally(() => {
      this.pendingLogin = null;
    });
    return this.pendingLogin;
  }

  /** Forgets `rejected` after a 401, unless a newer token has replaced it already. */
  invalidate(rejected: string): void {
    if (this.cached?.token === rejected) this.cached = null;
  }

  private async login(credentials: { email: string; password: string }): Promise<string> {
    const response = await this.options.fetch(`${this.options.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: credentials.email, password: credentials.password }),
    });
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamFailure('credentials', `DeepOpinion login refused (${response.status})`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new UpstreamFailure('unavailable', `DeepOpinion login answered ${response.status}`);
    }
    const parsed = LoginResponseSchema.safeParse(await readJsonCapped(response, LOGIN_BODY_LIMIT).catch((error: unknown) => {
      if (error instanceof UpstreamFailure) throw error;
      return undefined;
    }));
    if (!parsed.success) throw new UpstreamFailure('malformed', `DeepOpinion login response: ${describeZodError(parsed.error)}`);
    const token = parsed.data.auth_token;
    this.cached = { token, expiresAt: jwtExpiry(token) ?? Number.POSITIVE_INFINITY };
    return token;
  }
}

/** The `exp` claim of a JWT in epoch milliseconds, if it has one. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
