import { z } from 'zod';
import type { DeepOpinionCredentials } from './adapters/upstream/deepopinion-auth';
import type { UpstreamSettings } from './adapters/upstream/upstream-fetcher';
import { providerOf, type ProviderId, type ResourceType } from './domain/resource';
import type { ResourceLinkTemplates } from './domain/slack-message';

/**
 * Every environment variable Watchpost reads, in one schema. Parsing reports
 * every problem at once, so a misconfigured deployment fails with one
 * readable message instead of one variable at a time.
 */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const httpUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default(fallback);
const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((value) => value === '1' || value === 'true');

export const EnvSchema = z.object({
  // Upstreams
  DEEPOPINION_BASE_URL: httpUrl('https://api.deepopinion.ai'),
  DEEPOPINION_TOKEN: optionalText,
  DEEPOPINION_EMAIL: optionalText,
  DEEPOPINION_PASSWORD: optionalText,
  ADAPTION_BASE_URL: httpUrl('https://api.adaptionlabs.ai'),
  ADAPTION_API_KEY: optionalText,
  WATCHPOST_UPSTREAM_TIMEOUT_MS: positiveInt(10_000),
  WATCHPOST_UPSTREAM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Upstream bodies larger than this are not read (a `too_large` poll failure). */
  WATCHPOST_UPSTREAM_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  // Poller
  WATCHPOST_POLL_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  WATCHPOST_FAILURE_THRESHOLD: positiveInt(5),
  WATCHPOST_HEARTBEAT_SECONDS: positiveInt(3600),
  /** Sweeps: each dataset watch is still fetched by itself at least this often (the list has no grade). */
  WATCHPOST_FULL_REFRESH_SECONDS: positiveInt(3600),
  /** Sweeps: how far before the last high-water mark the dataset sweep reaches (upstream clock skew). */
  WATCHPOST_SWEEP_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(86_400).default(120),
  /** Parallel Scan segments the poller reads its index with. */
  WATCHPOST_SCAN_SEGMENTS: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * AWS: poller segments a tick fans out to (each a worker invocation from the
   * segment queue, owning its share of the index). 1: the scheduled function
   * polls everything itself. Set by the CDK stack (watchpost:pollSegments).
   */
  WATCHPOST_POLL_SEGMENTS: z.coerce.number().int().min(1).max(100).default(1),
  WATCHPOST_POLL_SEGMENT_QUEUE_URL: optionalText,
  /** Seconds between sweeps; below WATCHPOST_POLL_INTERVAL_SECONDS, one Lambda invocation runs several. */
  WATCHPOST_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  /** `0` turns sweeps off: one GET per watch per tick, as before them. */
  WATCHPOST_SWEEPS: z
    .enum(['0', '1', 'true', 'false', ''])
    .optional()
    .transform((value) => value === undefined || value === '' || value === '1' || value === 'true'),
  /**
   * How long one tick may run before the watches not yet started wait for the
   * next tick and fetches in flight are abandoned. Default: 80% of the poll
   * interval (locally WATCHPOST_POLL_INTERVAL_SECONDS; the CDK stack sets it
   * from the schedule). In AWS the Lambda's remaining time caps it too.
   */
  WATCHPOST_TICK_DEADLINE_SECONDS: z.coerce.number().positive().optional(),
  // AWS wiring (set by the CDK stack)
  WATCHPOST_TABLE_NAME: optionalText,
  WATCHPOST_TOPIC_ARN: optionalText,
  WATCHPOST_UPSTREAM_SECRET_ARN: optionalText,
  WATCHPOST_ADMIN_TOKEN_SECRET_ARN: optionalText,
  /** The KMS key that seals webhook signing secrets (envelope encryption). */
  WATCHPOST_SECRETS_KEY_ARN: optionalText,
  // Delivery: optional links to a resource's page, e.g. https://app.example.com/datasets/{datasetId}
  WATCHPOST_DATASET_LINK_TEMPLATE: optionalText,
  WATCHPOST_CORRECTION_LINK_TEMPLATE: optionalText,
  WATCHPOST_DELIVERY_TIMEOUT_MS: positiveInt(15_000),
  /** A webhook or Slack subscription whose deliveries all fail for this long is disabled (and its team told). */
  WATCHPOST_DISABLE_AFTER_FAILING_HOURS: positiveInt(120),
  WATCHPOST_DELIVERY_QUEUE_URL: optionalText,
  WATCHPOST_DEAD_LETTER_QUEUE_URL: optionalText,
  // Watch API
  WATCHPOST_MAX_WATCHES_PER_TEAM: positiveInt(1000),
  WATCHPOST_MAX_SUBSCRIPTIONS_PER_TEAM: positiveInt(50),
  // Local runtime
  WATCHPOST_DATA_DIR: z.string().default('.watchpost'),
  /** Seconds between local ticks; unset: see pollIntervalSeconds. */
  WATCHPOST_POLL_INTERVAL_SECONDS: z.coerce.number().positive().optional(),
  /**
   * Demo mode only: how often the built-in simulator moves its resources on
   * (0 = never). Unset: one step after every poll tick. Either way a resource
   * moves only after a poll has seen its current state.
   */
  WATCHPOST_SIMULATOR_STEP_SECONDS: z.coerce.number().min(0).optional(),
  WATCHPOST_SIMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  WATCHPOST_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  WATCHPOST_ADMIN_TOKEN: optionalText,
  WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: flag,
});
export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadEnv(source: Record<string, string | undefined>): Env {
  const parsed = EnvSchema.safeParse(source);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (parsed.success) {
    const env = parsed.data;
    if (env.DEEPOPINION_TOKEN && (env.DEEPOPINION_EMAIL || env.DEEPOPINION_PASSWORD)) {
      problems.push('DEEPOPINION_TOKEN: set either a token or DEEPOPINION_EMAIL and DEEPOPINION_PASSWORD, not both');
    }
    if (Boolean(env.DEEPOPINION_EMAIL) !== Boolean(env.DEEPOPINION_PASSWORD)) {
      problems.push('DEEPOPINION_EMAIL: DEEPOPINION_EMAIL and DEEPOPINION_PASSWORD go together');
    }
    if (problems.length === 0) return env;
  }
  throw new ConfigError(problems);
}

/** Upstream credentials, wherever they came from (environment or Secrets Manager). */
export interface UpstreamCredentials {
  adaptionApiKey?: string | undefined;
  deepOpinion?: DeepOpinionCredentials | undefined;
}

export function credentialsFromEnv(env: Env): UpstreamCredentials {
  const deepOpinion: DeepOpinionCredentials | undefined = env.DEEPOPINION_TOKEN
    ? { token: env.DEEPOPINION_TOKEN }
    : env.DEEPOPINION_EMAIL && env.DEEPOPINION_PASSWORD
      ? { email: env.DEEPOPINION_EMAIL, password: env.DEEPOPINION_PASSWORD }
      : undefined;
  return { adaptionApiKey: env.ADAPTION_API_KEY, deepOpinion };
}

/** Whether the credentials cover a provider's upstream. */
export function providerConfigured(credentials: UpstreamCredentials, provider: ProviderId): boolean {
  return provider === 'adaption' ? Boolean(credentials.adaptionApiKey) : Boolean(credentials.deepOpinion);
}

/** Whether the credentials cover a resource type's upstream. */
export function upstreamConfigured(credentials: UpstreamCredentials, type: ResourceType): boolean {
  return providerConfigured(credentials, providerOf(type));
}

export function hasAnyCredentials(credentials: UpstreamCredentials): boolean {
  return Boolean(credentials.adaptionApiKey || credentials.deepOpinion);
}

export function upstreamSettings(env: Env, credentials: UpstreamCredentials): UpstreamSettings {
  return {
    adaption: { baseUrl: env.ADAPTION_BASE_URL, apiKey: credentials.adaptionApiKey },
    deepOpinion: { baseUrl: env.DEEPOPINION_BASE_URL, credentials: credentials.deepOpinion },
    retry: { maxAttempts: env.WATCHPOST_UPSTREAM_MAX_ATTEMPTS, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: env.WATCHPOST_UPSTREAM_TIMEOUT_MS },
    maxBodyBytes: env.WATCHPOST_UPSTREAM_MAX_BODY_BYTES,
  };
}

/** Links to a resource's page in Slack messages, by resource type. */
export function linkTemplates(env: Env): ResourceLinkTemplates {
  return { dataset: env.WATCHPOST_DATASET_LINK_TEMPLATE, correction_session: env.WATCHPOST_CORRECTION_LINK_TEMPLATE };
}

export function pollPolicy(env: Env) {
  return {
    concurrency: env.WATCHPOST_POLL_CONCURRENCY,
    failureThreshold: env.WATCHPOST_FAILURE_THRESHOLD,
    heartbeatSeconds: env.WATCHPOST_HEARTBEAT_SECONDS,
  };
}

/** The schedule of the deployed poller, and of `npm start` against real upstreams. */
export const DEFAULT_POLL_INTERVAL_SECONDS = 60;
/** `npm start` with the simulator: short enough that the demo's whole story plays within two minutes. */
export const DEMO_POLL_INTERVAL_SECONDS = 15;

/** Seconds between ticks: as set, else the default for the mode. */
export function pollIntervalSeconds(env: Env, demo = false): number {
  return env.WATCHPOST_POLL_INTERVAL_SECONDS ?? (demo ? DEMO_POLL_INTERVAL_SECONDS : DEFAULT_POLL_INTERVAL_SECONDS);
}

/** The sweep settings, or undefined when sweeps are off (WATCHPOST_SWEEPS=0). */
export function sweepPolicy(env: Env): { fullRefreshSeconds: number; overlapSeconds: number } | undefined {
  if (!env.WATCHPOST_SWEEPS) return undefined;
  return { fullRefreshSeconds: env.WATCHPOST_FULL_REFRESH_SECONDS, overlapSeconds: env.WATCHPOST_SWEEP_OVERLAP_SECONDS };
}

/** A tick's time budget in milliseconds (see WATCHPOST_TICK_DEADLINE_SECONDS). */
export function tickDeadlineMs(env: Env, remainingMs: number = Number.POSITIVE_INFINITY, intervalSeconds = pollIntervalSeconds(env)): number {
  const configured = (env.WATCHPOST_TICK_DEADLINE_SECONDS ?? intervalSeconds * 0.8) * 1000;
  // In a Lambda, keep time to record what was abandoned and publish what was found.
  return Math.max(1_000, Math.min(configured, remainingMs - 15_000));
}

/** A setting the deployment must provide (the CDK stack sets these). */
export function requireSetting(
  env: Env,
  name: 'WATCHPOST_TABLE_NAME' | 'WATCHPOST_TOPIC_ARN' | 'WATCHPOST_DELIVERY_QUEUE_URL' | 'WATCHPOST_DEAD_LETTER_QUEUE_URL' | 'WATCHPOST_SECRETS_KEY_ARN' | 'WATCHPOST_POLL_SEGMENT_QUEUE_URL',
): string {
  const value = env[name];
  if (!value) throw new ConfigError([`${name}: required in AWS (set by the CDK stack)`]);
  return value;
}
