import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { adminTokenFromAws } from '../adapters/aws-wiring';
import { TeamStore } from '../adapters/dynamo/team-store';
import { identify } from '../api/identify';
import { loadEnv, requireSetting } from '../config';

const env = loadEnv(process.env);
const logger = new Logger({ serviceName: 'watchpost-authorizer' });
const deps = {
  teams: new TeamStore(new DynamoDBClient({}), requireSetting(env, 'WATCHPOST_TABLE_NAME')),
  adminToken: adminTokenFromAws(env),
};

type Context = { team: string; admin: boolean };

/**
 * The team-token authorizer for the HTTP API (simple responses). It says who
 * the token belongs to; each route then decides what that identity may do,
 * so a cached answer for one route is safe for every other.
 *
 * Only a token that is really unknown is denied. When the table or the
 * admin-token secret cannot be read, it throws: API Gateway then answers 500
 * for this request and caches nothing, instead of caching a deny that would
 * lock a valid token out for the whole cache TTL.
 */
export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<Context>> => {
  const authorization = event.headers?.authorization ?? event.identitySource?.[0];
  try {
    const identity = await identify(deps, authorization);
    return { isAuthorized: identity !== undefined, context: { team: identity?.team ?? '', admin: identity?.admin ?? false } };
  } catch (error) {
    logger.error('authorizer could not check the token; failing the request uncached', { error: error instanceof Error ? error.message : String(error) });
    throw new Error('the token could not be checked', { cause: error });
  }
};
