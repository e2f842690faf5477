import { randomBytes } from 'node:crypto';
import { POSTED_CHANNELS } from '../../lambdas/domain/subscription';
import { CursorSigner } from '../../lambdas/adapters/dynamo/cursor';
import { DeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { safePostJson } from '../../lambdas/adapters/http/safe-post';
import { GetSubscriptionAttributesCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsEmailSubscriptions } from '../../lambdas/adapters/sns/email-subscriptions';
import { DeliveryService } from '../../lambdas/delivery/delivery-service';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { TeamQuota } from '../../lambdas/adapters/dynamo/team-quota';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { handleApiRequest } from '../../lambdas/api/app';
import type { ApiDeps } from '../../lambdas/api/deps';
import { SIMULATOR_DEFAULTS, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import type { LocalDynamo } from './dynamo';
import { captureLogger } from './logger';
import { testSecretBox } from './secret-box';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
const CURSOR_KEY = randomBytes(32);

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
  const now = () => new Date('2026-11-23T12:00:00Z');
  const snsClient = new SNSClient({ region: 'eu-west-1' });
  const sns = mockClient(snsClient);
  sns.on(SubscribeCommand).resolves({ SubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:watchpost-changes:1b2c' });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { PendingConfirmation: 'true' } });
  sns.on(UnsubscribeCommand).resolves({});
  const subscriptions = new SubscriptionStore(dynamo.client, tableName);
  const deliveries = new DeliveryStore(dynamo.client, tableName);
  const secrets = await testSecretBox();
  const deps: ApiDeps = {
    watches: new WatchStore({ client: dynamo.client, tableName }),
    teams: new TeamStore(dynamo.client, tableName),
    subscriptions,
    deliveries,
    delivery: new DeliveryService({
      subscriptions,
      deliveries,
      post: (url, body, headers) => safePostJson(url, body, headers, { timeoutMs: 2_000, allowLoopback: true }),
      retries: { schedule: async () => undefined },
      deadLetters: { send: async () => undefined },
      secrets,
      channels: [...POSTED_CHANNELS],
      links: {},
      logger,
      now,
    }),
    emails: new SnsEmailSubscriptions(snsClient, 'arn:aws:sns:eu-west-1:123456789012:watchpost-changes'),
    testableChannels: [...POSTED_CHANNELS],
    fetcher: UpstreamFetcher.create(
      {
        adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
        deepOpinion: { baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion } },
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 1_000 },
      },
      logger,
    ),
    secrets,
    cursors: new CursorSigner(async () => CURSOR_KEY),
    upstreamDeadlineMs: 15_000,
    upstreamConfigured: async () => true,
    credentialsHint: 'in the test harness',
    logger,
    adminToken: async () => ADMIN_TOKEN,
    limits: { watchesPerTeam: 1000, subscriptionsPerTeam: 50 },
    quota: TeamQuota.forTable(dynamo.client, tableName),
    allowPrivateWebhooks: false,
    now,
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

  return { deps, logger, tableName, sns, call, createTeam };
}
