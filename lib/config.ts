/**
 * Everything an operator can set for a deployment, fed from `cdk.json`
 * context (or `-c key=value`). Validated as a whole: one error lists every
 * problem.
 */
export interface WatchpostConfig {
  /**
   * Minutes between poll ticks.
   * @default 1
   */
  readonly pollRateMinutes: number;
  /**
   * Poller timeout in minutes; a tick longer than this is cut off and its
   * unfinished watches are polled on the next tick.
   * @default 5
   */
  readonly pollerTimeoutMinutes: number;
  /**
   * Upstream requests in flight per tick.
   * @default 16
   */
  readonly pollConcurrency: number;
  /**
   * Seconds between sweeps. Below the schedule's interval, one invocation
   * runs several sweeps (the index is scanned once per invocation), so
   * changes are heard sooner, and the poller runs for most of each interval.
   * @default 60
   */
  readonly sweepSeconds: number;
  /**
   * Poller segments a tick fans out to. 1: the scheduled function polls the
   * whole index itself (small installations). More: it queues one message
   * per segment and as many worker invocations each poll their share, for
   * installations one function cannot poll within a tick (about 15,000
   * watches a minute in single-GET mode; see the README's benchmark).
   * @default 1
   */
  readonly pollSegments: number;
  /** @default https://api.deepopinion.ai */
  readonly deepOpinionBaseUrl: string;
  /** @default https://api.adaptionlabs.ai */
  readonly adaptionBaseUrl: string;
  /**
   * Where operator alarms are emailed; none when absent (subscribe to the
   * alarm topic yourself).
   * @default - no email subscription
   */
  readonly alarmEmail?: string | undefined;
  /**
   * Reserved concurrency for the poller; needs an account quota that leaves
   * 10 unreserved. Ticks never overlap without it.
   * @default - none
   */
  readonly pollerReservedConcurrency?: number | undefined;
  /** @default 1000 */
  readonly maxWatchesPerTeam: number;
  /** @default 50 */
  readonly maxSubscriptionsPerTeam: number;
  /**
   * Steady-state requests per second the API accepts, and its burst.
   * @default 50 and 100
   */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /**
   * Seconds a registration (POST /v1/watches) may spend on the upstream,
   * retries included, before it answers 503 + Retry-After and gives its quota
   * unit back. At most 20: the API function's timeout is 29 s, and what is
   * left is for the table writes around the fetch.
   * @default 15
   */
  readonly apiUpstreamDeadlineSeconds: number;
  /**
   * Most concurrent executions the delivery queue's event source may start
   * (SQS's minimum is 2). A burst of deliveries then cannot take the
   * account's whole concurrency from the poller, the authorizer and the API.
   * @default 2
   */
  readonly deliveryMaxConcurrency: number;
  /**
   * The account's Lambda concurrency quota. `cdk synth` warns when the
   * poller, its segment workers and delivery at their peak leave fewer than
   * two executions (one each) for the API and its authorizer.
   * @default 10 (a new account's quota)
   */
  readonly accountConcurrency: number;
}

export const DEFAULT_CONFIG: WatchpostConfig = {
  pollRateMinutes: 1,
  pollerTimeoutMinutes: 5,
  pollConcurrency: 16,
  sweepSeconds: 60,
  pollSegments: 1,
  deepOpinionBaseUrl: 'https://api.deepopinion.ai',
  adaptionBaseUrl: 'https://api.adaptionlabs.ai',
  maxWatchesPerTeam: 1000,
  maxSubscriptionsPerTeam: 50,
  apiRateLimit: 50,
  apiBurstLimit: 100,
  apiUpstreamDeadlineSeconds: 15,
  deliveryMaxConcurrency: 2,
  accountConcurrency: 10,
};

const CONTEXT_KEYS: Record<keyof WatchpostConfig, string> = {
  pollRateMinutes: 'watchpost:pollRateMinutes',
  pollerTimeoutMinutes: 'watchpost:pollerTimeoutMinutes',
  pollConcurrency: 'watchpost:pollConcurrency',
  sweepSeconds: 'watchpost:sweepSeconds',
  pollSegments: 'watchpost:pollSegments',
  deepOpinionBaseUrl: 'watchpost:deepOpinionBaseUrl',
  adaptionBaseUrl: 'watchpost:adaptionBaseUrl',
  alarmEmail: 'watchpost:alarmEmail',
  pollerReservedConcurrency: 'watchpost:pollerReservedConcurrency',
  maxWatchesPerTeam: 'watchpost:maxWatchesPerTeam',
  maxSubscriptionsPerTeam: 'watchpost:maxSubscriptionsPerTeam',
  apiRateLimit: 'watchpost:apiRateLimit',
  apiBurstLimit: 'watchpost:apiBurstLimit',
  apiUpstreamDeadlineSeconds: 'watchpost:apiUpstreamDeadlineSeconds',
  deliveryMaxConcurrency: 'watchpost:deliveryMaxConcurrency',
  accountConcurrency: 'watchpost:accountConcurrency',
};

const NUMERIC: Array<keyof WatchpostConfig> = ['pollerReservedConcurrency', 'pollRateMinutes', 'pollerTimeoutMinutes', 'pollConcurrency', 'sweepSeconds', 'pollSegments', 'maxWatchesPerTeam', 'maxSubscriptionsPerTeam', 'apiRateLimit', 'apiBurstLimit', 'apiUpstreamDeadlineSeconds', 'deliveryMaxConcurrency', 'accountConcurrency'];

/** Reads the config from construct context; values given on the command line arrive as strings. */
export function configFromContext(tryGetContext: (key: string) => unknown): Partial<Record<keyof WatchpostConfig, unknown>> {
  const raw: Partial<Record<keyof WatchpostConfig, unknown>> = {};
  for (const [field, key] of Object.entries(CONTEXT_KEYS) as Array<[keyof WatchpostConfig, string]>) {
    const value = tryGetContext(key);
    if (value !== undefined) raw[field] = NUMERIC.includes(field) && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  }
  return raw;
}

export class WatchpostConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid Watchpost configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WatchpostConfigError';
  }
}

/** Applies defaults and checks every field; throws one error listing all problems. */
export function resolveConfig(input: Partial<Record<keyof WatchpostConfig, unknown>>): WatchpostConfig {
  const config = { ...DEFAULT_CONFIG, ...stripUndefined(input) } as Record<string, unknown>;
  const problems: string[] = [];
  const integer = (field: keyof WatchpostConfig, min: number, max: number) => {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${CONTEXT_KEYS[field]}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
  };
  integer('pollRateMinutes', 1, 1440);
  integer('pollerTimeoutMinutes', 1, 15);
  integer('pollConcurrency', 1, 256);
  integer('sweepSeconds', 5, 86_400);
  integer('pollSegments', 1, 100);
  integer('maxWatchesPerTeam', 1, 100_000);
  integer('maxSubscriptionsPerTeam', 1, 1000);
  integer('apiRateLimit', 1, 10_000);
  integer('apiBurstLimit', 1, 5_000);
  integer('apiUpstreamDeadlineSeconds', 1, 20);
  integer('deliveryMaxConcurrency', 2, 1000);
  integer('accountConcurrency', 1, 1_000_000);
  for (const field of ['deepOpinionBaseUrl', 'adaptionBaseUrl'] as const) {
    const value = config[field];
    if (typeof value !== 'string' || !/^https:\/\/[^\s/]+/.test(value)) problems.push(`${CONTEXT_KEYS[field]}: must be an https URL (got ${JSON.stringify(value)})`);
  }
  if (config.pollerReservedConcurrency !== undefined) integer('pollerReservedConcurrency', 1, 1000);
  const email = config.alarmEmail;
  if (email !== undefined && (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))) {
    problems.push(`${CONTEXT_KEYS.alarmEmail}: must be an email address (got ${JSON.stringify(email)})`);
  }
  if (problems.length > 0) throw new WatchpostConfigError(problems);
  return config as unknown as WatchpostConfig;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}


/** At least one execution each for the API and its authorizer. */
export const API_AND_AUTHORIZER_MINIMUM = 2;

/**
 * The peak concurrent executions the background functions need: the poller
 * (its reserved concurrency, else one: ticks never overlap), one worker per
 * segment when the tick fans out (the segment queue's event source allows
 * exactly that many), and the delivery event source's maximum.
 */
export function backgroundConcurrency(config: WatchpostConfig): { poller: number; segmentWorkers: number; delivery: number; total: number } {
  const poller = config.pollerReservedConcurrency ?? 1;
  const segmentWorkers = config.pollSegments > 1 ? config.pollSegments : 0;
  const delivery = config.deliveryMaxConcurrency;
  return { poller, segmentWorkers, delivery, total: poller + segmentWorkers + delivery };
}
