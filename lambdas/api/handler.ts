import { POSTED_CHANNELS } from '../domain/subscription';
import { join } from 'node:path';
import { readConsoleAssets } from '../console/assets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { adminTokenFromAws, cursorKeyFromAws, lazily, upstreamCredentialsFromAws, upstreamFetcherFromAws, webhookSecretsFromAws } from '../adapters/aws-wiring';
import { SNSClient } from '@aws-sdk/client-sns';
import { CursorSigner } from '../adapters/dynamo/cursor';
import { DeliveryStore } from '../adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import { SnsEmailSubscriptions } from '../adapters/sns/email-subscriptions';
import { awsDeliveryService } from '../delivery/aws-delivery';
import { testReceivers } from '../adapters/http/test-receivers';
import { TeamStore } from '../adapters/dynamo/team-store';
import { TeamQuota } from '../adapters/dynamo/team-quota';
import { WatchStore } from '../adapters/dynamo/watch-store';
import { loadEnv, requireSetting, upstreamConfigured } from '../config';
import type { FetchOutcome, LatestRunFinder, ResourceFetcher } from '../domain/ports';
import type { ResourceRef } from '../domain/resource';
import { handleApiRequest } from './app';
import type { ApiDeps } from './deps';
import type { ApiRequest } from './http';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-api' });
const client = new DynamoDBClient({});
const tableName = requireSetting(env, 'WATCHPOST_TABLE_NAME');
const upstream = upstreamFetcherFromAws(env, logger);
const fetcher: ResourceFetcher & LatestRunFinder = {
  fetchState: async (resource: ResourceRef, options?: { signal?: AbortSignal | undefined }): Promise<FetchOutcome> => {
    try {
      return await (await upstream()).fetchState(resource, options);
    } catch (error) {
      // The credentials secret could not be read: the upstream is out of reach for now (503), not a bug (500).
      logger.error('could not load upstream credentials', { error: error instanceof Error ? error.message : String(error) });
      return { outcome: 'failed', error: { kind: 'credentials', message: 'upstream credentials are unavailable' } };
    }
  },
  latestRunOf: async (datasetId) => {
    try {
      return await (await upstream()).latestRunOf(datasetId);
    } catch (error) {
      logger.error('could not load upstream credentials', { error: error instanceof Error ? error.message : String(error) });
      return { ok: false, error: { kind: 'credentials', message: 'upstream credentials are unavailable' } };
    }
  },
};

const secrets = webhookSecretsFromAws(env);
const credentials = upstreamCredentialsFromAws(env);

const deps: ApiDeps = {
  watches: new WatchStore({ client, tableName }),
  teams: new TeamStore(client, tableName),
  subscriptions: new SubscriptionStore(client, tableName),
  deliveries: new DeliveryStore(client, tableName),
  // Test sends and redeliveries are immediate; the API never schedules retries.
  delivery: awsDeliveryService(env, client, logger, { queues: false, secrets }),
  secrets,
  cursors: new CursorSigner(cursorKeyFromAws(env)),
  emails: new SnsEmailSubscriptions(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN')),
  testableChannels: [...POSTED_CHANNELS],
  fetcher,
  upstreamDeadlineMs: env.WATCHPOST_API_UPSTREAM_DEADLINE_MS,
  // An unreadable secret is an outage (503 from the fetch), not a missing upstream.
  upstreamConfigured: async (type) => upstreamConfigured(await credentials().catch(() => ({ adaptionApiKey: 'unknown', deepOpinion: { token: 'unknown' } })), type),
  credentialsHint: 'in the upstream credentials secret (the stack output UpstreamCredentialsSecret)',
  logger,
  adminToken: adminTokenFromAws(env),
  limits: { watchesPerTeam: env.WATCHPOST_MAX_WATCHES_PER_TEAM, subscriptionsPerTeam: env.WATCHPOST_MAX_SUBSCRIPTIONS_PER_TEAM },
  quota: TeamQuota.forTable(client, tableName),
  // The loopback switch is for laptops only; in AWS it never applies.
  allowPrivateWebhooks: false,
  testReceivers: testReceivers(env),
  // Built into the bundle by the stack (see lib/constructs/watch-api.ts), read once per container.
  consoleAssets: lazily(() => readConsoleAssets(join(process.env.LAMBDA_TASK_ROOT ?? '.', 'console'))),
  now: () => new Date(),
};

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const response = await handleApiRequest(deps, {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([key, value]) => [key.toLowerCase(), value])),
    query: event.queryStringParameters ?? {},
    body,
    identity: authorizerIdentity(event),
  });
  return { statusCode: response.status, headers: response.headers, body: response.body ?? '' };
};

/** The identity the team-token authorizer attached (its result is cached by API Gateway). */
function authorizerIdentity(event: APIGatewayProxyEventV2): ApiRequest['identity'] {
  const context = (event.requestContext as { authorizer?: { lambda?: { team?: unknown; admin?: unknown } } }).authorizer?.lambda;
  if (!context) return undefined;
  return { team: typeof context.team === 'string' && context.team ? context.team : undefined, admin: context.admin === true };
}
