import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KMSClient } from '@aws-sdk/client-kms';
import { credentialsFromEnv, requireSetting, upstreamSettings, type Env, type UpstreamCredentials } from '../config';
import type { Logger, SecretBox } from '../domain/ports';
import { KmsSecretBox } from './crypto/kms-secret-box';
import { loadUpstreamCredentials } from './secrets/upstream-secret';
import { UpstreamFetcher } from './upstream/upstream-fetcher';

/**
 * Lazily loaded and cached per Lambda container for at most `maxAgeMs`, so a
 * rotated secret is picked up within minutes without a redeploy. A failed
 * load is not cached: the next invocation tries again.
 */
export function lazily<T>(load: () => Promise<T>, maxAgeMs = Number.POSITIVE_INFINITY, now: () => number = Date.now): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let loadedAt = 0;
  return () => {
    if (pending && now() - loadedAt >= maxAgeMs) pending = undefined;
    if (!pending) {
      loadedAt = now();
      pending = load().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    }
    return pending;
  };
}

/** How long a function trusts the secret values it read. */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

const secrets = lazily(async () => new SecretsManagerClient({}));

/** The upstream fetcher, with credentials from Secrets Manager when the stack provides a secret. */
export function upstreamFetcherFromAws(env: Env, logger: Logger): () => Promise<UpstreamFetcher> {
  const credentials = upstreamCredentialsFromAws(env);
  return lazily(async () => UpstreamFetcher.create(upstreamSettings(env, await credentials()), logger), SECRET_MAX_AGE_MS);
}

/** The upstream credentials: from Secrets Manager when the stack provides a secret, else the environment. */
export function upstreamCredentialsFromAws(env: Env): () => Promise<UpstreamCredentials> {
  return lazily(async () => {
    const arn = env.WATCHPOST_UPSTREAM_SECRET_ARN;
    return arn ? loadUpstreamCredentials(await secrets(), arn) : credentialsFromEnv(env);
  }, SECRET_MAX_AGE_MS);
}

/** Webhook signing secrets, sealed under the stack's KMS key. */
export function webhookSecretsFromAws(env: Env): SecretBox {
  return new KmsSecretBox(new KMSClient({}), requireSetting(env, 'WATCHPOST_SECRETS_KEY_ARN'));
}

/**
 * The key that signs pagination cursors: a generated secret of its own (a
 * plain string), read once per container and trusted for SECRET_MAX_AGE_MS
 * like the others. A secret too short to be a key is refused, not used.
 */
export function cursorKeyFromAws(env: Env): () => Promise<string> {
  const arn = requireSetting(env, 'WATCHPOST_CURSOR_KEY_SECRET_ARN');
  return lazily(async () => {
    const result = await (await secrets()).send(new GetSecretValueCommand({ SecretId: arn }));
    const key = result.SecretString?.trim();
    if (!key || key.length < 32) throw new Error('the cursor key secret holds no key of at least 32 characters');
    return key;
  }, SECRET_MAX_AGE_MS);
}

/** The operator token, from its own secret (a plain string). */
export function adminTokenFromAws(env: Env): () => Promise<string | undefined> {
  return lazily(async () => {
    const arn = env.WATCHPOST_ADMIN_TOKEN_SECRET_ARN;
    if (!arn) return env.WATCHPOST_ADMIN_TOKEN;
    const result = await (await secrets()).send(new GetSecretValueCommand({ SecretId: arn }));
    const token = result.SecretString?.trim();
    // A too-short token is as good as none: refuse admin calls rather than accept a guessable one.
    return token && token.length >= 32 ? token : undefined;
  }, SECRET_MAX_AGE_MS);
}
