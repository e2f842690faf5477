import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../lambdas/api/auth';
import { buildConsoleAssets, writeConsoleAssets } from '../../lambdas/console/assets';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { stubLambdaEnv } from '../support/lambda-env';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
const ADMIN = 'admin-token-for-handler-tests-0123456789';
const CURSOR_KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:CursorKey-AbCdEf';
// Secrets Manager as the stack provisions it: the cursor key, a generated string.
const secretsManager = mockClient(SecretsManagerClient);
secretsManager.on(GetSecretValueCommand, { SecretId: CURSOR_KEY_ARN }).resolves({ SecretString: 'k3yFromSecretsManager'.repeat(3) });

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let tableName: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
  tableName = await dynamo.newTable();
  await new TeamStore(dynamo.client, tableName).createTeam({ id: 'ml-platform', name: 'ml-platform', createdAt: '2026-11-23T00:00:00Z' }, sha256Hex('wpt_handler_test_token'));
  simulator.putDataset('ds_h', { status: 'running' });
  simulator.putDataset('ds_h2', { status: 'running' });
  stubLambdaEnv(dynamo.endpoint, {
    WATCHPOST_TABLE_NAME: tableName,
    WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
    WATCHPOST_ADMIN_TOKEN: ADMIN,
    WATCHPOST_SECRETS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/0b9c1a52-0000-4000-8000-000000000001',
    WATCHPOST_CURSOR_KEY_SECRET_ARN: CURSOR_KEY_ARN,
    ADAPTION_BASE_URL: simulator.url,
    ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey,
  });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([dynamo.close(), simulator.close()]);
});

describe('API Lambda handler', () => {
  it('serves a base64 body for the team its authorizer named', async () => {
    const { handler } = await import('../../lambdas/api/handler');

    const response = await handler(fixture('api-create-watch.json'));

    expect(response.statusCode).toBe(201);
    expect(response.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(String(response.body))).toMatchObject({ resource: { datasetId: 'ds_h' }, current: { status: 'running' } });
  });

  it('pages with cursors signed under the key in Secrets Manager, and refuses one it did not sign', async () => {
    const { handler } = await import('../../lambdas/api/handler');
    const create = fixture('api-create-watch.json');
    create.body = JSON.stringify({ resource: { type: 'dataset', datasetId: 'ds_h2' } });
    create.isBase64Encoded = false;
    await handler(fixture('api-create-watch.json'));
    await handler(create);
    const list = (query: Record<string, string>) => {
      const event = fixture('api-create-watch.json');
      Object.assign(event, { rawPath: '/v1/watches', body: undefined, isBase64Encoded: false, queryStringParameters: query });
      event.requestContext.http.method = 'GET';
      return handler(event);
    };

    const first = JSON.parse(String((await list({ limit: '1' })).body)) as { items: unknown[]; nextCursor: string };
    const second = await list({ limit: '1', cursor: first.nextCursor });
    const forged = await list({ limit: '1', cursor: `${first.nextCursor.split('.')[0]}.${'A'.repeat(43)}` });

    expect(second.statusCode).toBe(200);
    expect(JSON.parse(String(second.body)).items).toHaveLength(1);
    expect(forged.statusCode).toBe(400);
    expect(JSON.parse(String(forged.body)).errors[0].path).toBe('cursor');
    expect(secretsManager.commandCalls(GetSecretValueCommand, { SecretId: CURSOR_KEY_ARN }).length).toBeGreaterThan(0);
  });

  it('refuses an admin route to a team identity even with a cached authorizer answer', async () => {
    const { handler } = await import('../../lambdas/api/handler');
    const event = fixture('api-create-watch.json');
    event.rawPath = '/v1/admin/teams';
    event.body = JSON.stringify({ name: 'sneaky' });
    event.isBase64Encoded = false;

    const response = await handler(event);

    expect(response.statusCode).toBe(401);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
  });
});

describe('team-token authorizer', () => {
  const request = (authorization?: string) =>
    ({ type: 'REQUEST', routeArn: 'arn', routeKey: 'ANY /{proxy+}', rawPath: '/v1/watches', headers: authorization ? { authorization } : {}, identitySource: authorization ? [authorization] : [] }) as unknown as APIGatewayRequestAuthorizerEventV2;

  it('names the team a token belongs to', async () => {
    const { handler } = await import('../../lambdas/authorizer/handler');

    expect(await handler(request('Bearer wpt_handler_test_token'))).toEqual({ isAuthorized: true, context: { team: 'ml-platform', admin: false } });
  });

  it.each([['bearer'], ['BEARER']])('reads the scheme case-insensitively: `%s <token>`', async (scheme) => {
    const { handler } = await import('../../lambdas/authorizer/handler');

    expect(await handler(request(`${scheme} wpt_handler_test_token`))).toEqual({ isAuthorized: true, context: { team: 'ml-platform', admin: false } });
  });

  it('recognises the admin token', async () => {
    const { handler } = await import('../../lambdas/authorizer/handler');

    expect(await handler(request(`Bearer ${ADMIN}`))).toEqual({ isAuthorized: true, context: { team: '', admin: true } });
  });

  it.each([[undefined], ['Bearer wpt_unknown'], ['Basic abc']])('refuses %s', async (authorization) => {
    const { handler } = await import('../../lambdas/authorizer/handler');

    expect((await handler(request(authorization))).isAuthorized).toBe(false);
  });

  it('throws, rather than denies, when the table cannot be read, so API Gateway caches no deny', async () => {
    // A port nothing listens on: the store is down, the token may well be valid.
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', 'http://127.0.0.1:9');
    vi.stubEnv('WATCHPOST_ADMIN_TOKEN', '');
    vi.resetModules();
    const { handler } = await import('../../lambdas/authorizer/handler');

    await expect(handler(request('Bearer wpt_handler_test_token'))).rejects.toThrow('the token could not be checked');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('WATCHPOST_ADMIN_TOKEN', ADMIN);
    vi.resetModules();
  });

  it('serves the console built into its bundle, without a token, with its security headers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'watchpost-task-'));
    await writeConsoleAssets(await buildConsoleAssets(), join(root, 'console'));
    vi.stubEnv('LAMBDA_TASK_ROOT', root);
    const { handler } = await import('../../lambdas/api/handler');
    const event = fixture('api-create-watch.json');
    event.rawPath = '/console/';
    event.requestContext.http.method = 'GET';
    event.body = undefined;
    event.isBase64Encoded = false;
    delete (event.requestContext as { authorizer?: unknown }).authorizer;

    const response = await handler(event);

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers?.['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(String(response.body)).toContain('<script defer src="/console/app.js?v=');
  });
});
