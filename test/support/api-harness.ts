import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { handleApiRequest } from '../../lambdas/api/app';
import type { ApiDeps } from '../../lambdas/api/deps';
import { SIMULATOR_DEFAULTS, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import type { LocalDynamo } from './dynamo';
import { captureLogger } from './logger';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  // Tests read arbitrary JSON shapes from responses.
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The watch API wired to a fresh table on the local DynamoDB and to the simulator. */
export async function apiHarness(dynamo: LocalDynamo, simulator: UpstreamSimulator, overrides: Partial<ApiDeps> = {}) {
  const tableName = await dynamo.newTable();
  const logger = captureLogger();
  const deps: ApiDeps = {
    watches: new WatchStore({ client: dynamo.client, tableName }),
    teams: new TeamStore(dynamo.client, tableName),
    subscriptions: new SubscriptionStore(dynamo.client, tableName),
    fetcher: UpstreamFetcher.create(
      {
        adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
        deepOpinion: { baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion } },
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 1_000 },
      },
      logger,
    ),
    logger,
    adminToken: async () => ADMIN_TOKEN,
    limits: { watchesPerTeam: 1000, subscriptionsPerTeam: 50 },
    allowPrivateWebhooks: false,
    now: () => new Date('2026-11-23T12:00:00Z'),
    ...overrides,
  };

  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await handleApiRequest(deps, { method, path, headers, query: options.query ?? {}, body });
    return { status: response.status, headers: response.headers, json: response.body ? JSON.parse(response.body) : undefined };
  }

  async function createTeam(name: string): Promise<string> {
    const result = await call('POST', '/v1/admin/teams', { token: ADMIN_TOKEN, body: { name } });
    if (result.status !== 201) throw new Error(`could not create team ${name}: ${JSON.stringify(result.json)}`);
    return result.json.token as string;
  }

  return { deps, logger, tableName, call, createTeam };
}
