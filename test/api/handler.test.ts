import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../lambdas/api/auth';
import { buildConsoleAssets, writeConsoleAssets } from '../../lambdas/console/assets';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { stubLambdaEnv } from '../support/lambda-env';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}`, import.meta.url), 'utf8')) as APIGatewayProxyEventV2;
const ADMIN = 'admin-token-for-handler-tests-0123456789';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let tableName: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
  tableName = await dynamo.newTable();
  await new TeamStore(dynamo.client, tableName).createTeam({ id: 'ml-platform', name: 'ml-platform', createdAt: '2026-11-23T00:00:00Z' }, sha256Hex('wpt_handler_test_token'));
  simulator.putDataset('ds_h', { status: 'running' });
  stubLambdaEnv(dynamo.endpoint, {
    WATCHPOST_TABLE_NAME: tableName,
    WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
    WATCHPOST_ADMIN_TOKEN: ADMIN,
    WATCHPOST_SECRETS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/0b9c1a52-0000-4000-8000-000000000001',
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
