import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { credentialsFromEnv, upstreamSettings, type Env } from '../config';
import type { Logger } from '../domain/ports';
import { loadUpstreamCredentials } from './secrets/upstream-secret';
import { UpstreamFetcher } from './upstream/upstream-fetcher';

/**
 * Lazily loaded, cached per Lambda container. A failed load is not cached, so
 * the next invocation tries again instead of failing until a cold start.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

const secrets = lazily(async () => new SecretsManagerClient({}));

/** The upstream fetcher, with credentials from Secrets Manager when the stack provides a secret. */
export function upstreamFetcherFromAws(env: Env, logger: Logger): () => Promise<UpstreamFetcher> {
  return lazily(async () => {
    const arn = env.WATCHPOST_UPSTREAM_SECRET_ARN;
    const credentials = arn ? await loadUpstreamCredentials(await secrets(), arn) : credentialsFromEnv(env);
    return UpstreamFetcher.create(upstreamSettings(env, credentials), logger);
  });
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
  });
}
