import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateTableCommand, type CreateTableCommandInput, type GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WatchpostStack } from '../../lib/watchpost-stack';
import { startAwsJsonEndpoint, type AwsCall } from '../support/aws-json-endpoint';
import { functionEnvironment, PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION, type CfnTemplate } from '../support/deployed-template';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { node24 } from '../support/node24';

/*
 * What a first deploy runs: each synthesized asset, started in a fresh Node 24
 * process with the environment its AWS::Lambda::Function declares (Refs and
 * GetAtts resolved to placeholder values in AWS's shapes), loaded as the
 * runtime loads it and invoked with minimal valid events. DynamoDB is a local
 * protocol server (dynalite) holding the table the template declares; the
 * SQS and Secrets Manager calls these events cause are answered by a
 * recording endpoint; every other AWS call would reach it too, and none is
 * expected. One synth per configuration, shared by its functions.
 */

const execFileAsync = promisify(execFile);
const INVOKE = fileURLToPath(new URL('../support/invoke-bundle.mjs', import.meta.url));
const ADMIN_TOKEN = 'wp_admin_asset_load_test_token_0123456789';

interface DeployedFunction {
  logicalId: string;
  service: string;
  handler: string;
  taskRoot: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
}

interface Synthesized {
  template: CfnTemplate;
  functions: Map<string, DeployedFunction>;
}

function synthesize(config: Record<string, unknown>): Synthesized {
  // CDK announces each bundle on stderr while the stack is built: kept out of the test output.
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'watchpost-assets-')) });
    new WatchpostStack(app, 'Watchpost', { config, env: { account: PLACEHOLDER_ACCOUNT, region: PLACEHOLDER_REGION } });
    const assembly = app.synth();
    const template = assembly.getStackByName('Watchpost').template as CfnTemplate;
    const functions = new Map<string, DeployedFunction>();
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const properties = resource.Properties as { Handler: string; Timeout: number; MemorySize: number; Code: { S3Key: string } };
      const variables = (resource.Properties as { Environment: { Variables: Record<string, string> } }).Environment.Variables;
      const service = variables.POWERTOOLS_SERVICE_NAME ?? logicalId;
      functions.set(service, {
        logicalId,
        service,
        handler: properties.Handler,
        taskRoot: join(assembly.directory, `asset.${properties.Code.S3Key.replace(/\.zip$/, '')}`),
        timeoutSeconds: properties.Timeout,
        memorySize: properties.MemorySize,
        environment: {},
      });
    }
    return { template, functions };
  } finally {
    write.mockRestore();
  }
}

/** The table as the template declares it, created on the local DynamoDB under the name its Ref resolves to. */
async function createDeclaredTable(dynamo: LocalDynamo, template: CfnTemplate, tableName: string): Promise<void> {
  const tables = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::DynamoDB::GlobalTable' || resource.Type === 'AWS::DynamoDB::Table');
  expect(tables).toHaveLength(1);
  const declared = tables[0]!.Properties as Pick<CreateTableCommandInput, 'KeySchema' | 'AttributeDefinitions' | 'BillingMode'> & {
    GlobalSecondaryIndexes?: Array<Pick<GlobalSecondaryIndex, 'IndexName' | 'KeySchema' | 'Projection'>>;
  };
  await dynamo.client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: declared.KeySchema,
      AttributeDefinitions: declared.AttributeDefinitions,
      GlobalSecondaryIndexes: declared.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
      BillingMode: declared.BillingMode,
    }),
  );
}

type Outcome = { value?: unknown; error?: string };

interface Environment {
  /** The Node 24 binary (the Lambda runtime's version). */
  node: string;
  dynamo: LocalDynamo;
  aws: Awaited<ReturnType<typeof startAwsJsonEndpoint>>;
}

/** Starts the function's bundle in a fresh Node 24 process, as Lambda would, and invokes it once per event. */
async function invoke(fn: DeployedFunction, events: unknown[], around: Environment): Promise<Outcome[]> {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-invoke-'));
  writeFileSync(join(dir, 'events.json'), JSON.stringify(events));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: 'UTC',
    ...fn.environment,
    AWS_REGION: PLACEHOLDER_REGION,
    AWS_DEFAULT_REGION: PLACEHOLDER_REGION,
    AWS_ACCESS_KEY_ID: 'ASIAASSETLOADTEST',
    AWS_SECRET_ACCESS_KEY: 'asset-load-test',
    AWS_SESSION_TOKEN: 'asset-load-test',
    AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    LAMBDA_TASK_ROOT: fn.taskRoot,
    AWS_ENDPOINT_URL: around.aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: around.dynamo.endpoint,
    WATCHPOST_TEST_FUNCTION_TIMEOUT_MS: String(fn.timeoutSeconds * 1000),
  };
  try {
    await execFileAsync(around.node, [INVOKE, fn.taskRoot, fn.handler, join(dir, 'events.json'), join(dir, 'results.json')], {
      cwd: fn.taskRoot,
      env,
      // The function's own timeout is the hard limit, as in Lambda.
      timeout: fn.timeoutSeconds * 1000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    throw new Error(`${fn.service} (${fn.logicalId}) exited ${failed.code}:\n${failed.stderr ?? ''}`);
  }
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Outcome[];
}

function httpEvent(method: string, path: string, headers: Record<string, string> = {}) {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'asset-load-test', ...headers },
    requestContext: {
      accountId: PLACEHOLDER_ACCOUNT,
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'asset-load-test' },
      requestId: 'Jd8cWiKqjoEEMPg=',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

function authorizerEvent(authorization: string) {
  const request = httpEvent('GET', '/v1/watches', { authorization });
  return { ...request, type: 'REQUEST', routeArn: `arn:aws:execute-api:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:abc123/$default/GET/v1/watches`, identitySource: [authorization], routeKey: 'ANY /{proxy+}' };
}

function sqsRecord(body: string, queueArn: string, index: number) {
  return {
    messageId: `0f0e0d0c-0000-4000-8000-00000000000${index}`,
    receiptHandle: `receipt-${index}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'AIDAASSETLOAD', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: PLACEHOLDER_REGION,
  };
}

const values = (outcomes: Outcome[]) => outcomes.map((outcome) => outcome.error ?? outcome.value);
const unexpectedCalls = (calls: AwsCall[], allowed: string[]) => calls.filter((call) => !allowed.includes(call.target)).map((call) => call.target);

/** Starts the local parts, then resolves each function's declared environment to them. */
async function environmentFor(synthesized: Synthesized): Promise<Environment> {
  const [dynamo, aws] = await Promise.all([startLocalDynamo(), startAwsJsonEndpoint()]);
  for (const fn of synthesized.functions.values()) fn.environment = functionEnvironment(synthesized.template, fn.logicalId, { sqsEndpoint: aws.url });
  const api = synthesized.functions.get('watchpost-api')!.environment;
  await createDeclaredTable(dynamo, synthesized.template, api.WATCHPOST_TABLE_NAME!);
  aws.secrets.set(api.WATCHPOST_ADMIN_TOKEN_SECRET_ARN!, ADMIN_TOKEN);
  // The upstream credentials secret as the README asks operators to fill it (the environment's names, as JSON).
  aws.secrets.set(api.WATCHPOST_UPSTREAM_SECRET_ARN!, JSON.stringify({ ADAPTION_API_KEY: 'adaption-asset-load-test', DEEPOPINION_TOKEN: 'deepopinion-asset-load-test' }));
  // Fetched from the npm registry on a fresh clone (a few seconds), cached after.
  return { node: node24(), dynamo, aws };
}

/** The answers every configuration's API and authorizer bundles must give. */
function apiAndAuthorizer(get: () => { synthesized: Synthesized; around: Environment }) {
  it('API: the health check, the OpenAPI document and the console built into its bundle', async () => {
    const { synthesized, around } = get();
    const [health, openapi, page, missing] = values(
      await invoke(synthesized.functions.get('watchpost-api')!, [httpEvent('GET', '/healthz'), httpEvent('GET', '/v1/openapi.json'), httpEvent('GET', '/console/'), httpEvent('GET', '/console/nothing-here.js')], around),
    ) as Array<{ statusCode: number; headers: Record<string, string>; body: string }>;

    expect([health!.statusCode, JSON.parse(health!.body)]).toEqual([200, { status: 'ok' }]);
    expect(openapi!.statusCode).toBe(200);
    expect(JSON.parse(openapi!.body).openapi).toMatch(/^3\.1\./);
    expect(page!.statusCode).toBe(200);
    expect(page!.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page!.body).toContain('<title>Watchpost console</title>');
    expect(missing!.statusCode).toBe(404);
  });

  it('authorizer: the operator token from its secret, an unknown token looked up in the declared table, a non-Bearer header', async () => {
    const { synthesized, around } = get();
    const before = around.aws.calls.length;
    const answers = values(
      await invoke(synthesized.functions.get('watchpost-authorizer')!, [authorizerEvent(`Bearer ${ADMIN_TOKEN}`), authorizerEvent('Bearer wp_unknown_token_0000000000000000'), authorizerEvent('Basic dXNlcjpwYXNz')], around),
    );

    expect(answers).toEqual([
      { isAuthorized: true, context: { team: '', admin: true } },
      { isAuthorized: false, context: { team: '', admin: false } },
      { isAuthorized: false, context: { team: '', admin: false } },
    ]);
    expect(around.aws.calls.slice(before).map((call) => [call.target, call.input.SecretId])).toEqual([
      ['secretsmanager.GetSecretValue', synthesized.functions.get('watchpost-authorizer')!.environment.WATCHPOST_ADMIN_TOKEN_SECRET_ARN],
    ]);
  });

  it('delivery: an empty SQS batch, answered with no failures', async () => {
    const { synthesized, around } = get();
    expect(values(await invoke(synthesized.functions.get('watchpost-delivery')!, [{ Records: [] }], around))).toEqual([{ batchItemFailures: [] }]);
  });
}

describe('the synthesized assets, default configuration', () => {
  let synthesized: Synthesized;
  let around: Environment;
  beforeAll(async () => {
    synthesized = synthesize({});
    around = await environmentFor(synthesized);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([around?.dynamo.close(), around?.aws.close()]);
  });

  it('declares the four functions this test invokes, each on Node 24 with handler index.handler', () => {
    expect([...synthesized.functions.keys()].sort()).toEqual(['watchpost-api', 'watchpost-authorizer', 'watchpost-delivery', 'watchpost-poller']);
    for (const [service, fn] of synthesized.functions) {
      expect(fn.handler, service).toBe('index.handler');
      expect((synthesized.template.Resources[fn.logicalId]!.Properties as { Runtime: string }).Runtime, service).toBe('nodejs24.x');
    }
  });

  apiAndAuthorizer(() => ({ synthesized, around }));

  it('poller: a Scheduler invocation runs a whole tick against the declared table', async () => {
    const [summary] = values(await invoke(synthesized.functions.get('watchpost-poller')!, [{}], around));

    expect(summary).toMatchObject({ watches: 0 });
    expect(unexpectedCalls(around.aws.calls, ['secretsmanager.GetSecretValue'])).toEqual([]);
  });
});

describe('the synthesized assets, fan-out configuration (pollSegments 4)', () => {
  let synthesized: Synthesized;
  let around: Environment;
  beforeAll(async () => {
    // At the default sweep interval a tick makes one pass (with sweeps below a minute it makes several, waiting between).
    synthesized = synthesize({ pollSegments: 4 });
    around = await environmentFor(synthesized);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([around?.dynamo.close(), around?.aws.close()]);
  });

  it('declares the five functions this test invokes', () => {
    expect([...synthesized.functions.keys()].sort()).toEqual(['watchpost-api', 'watchpost-authorizer', 'watchpost-delivery', 'watchpost-poller', 'watchpost-poller-segment']);
  });

  apiAndAuthorizer(() => ({ synthesized, around }));

  it('coordinator → segment queue → worker: the scheduled tick queues four segments, and a worker polls the one it is handed', async () => {
    const coordinator = synthesized.functions.get('watchpost-poller')!;
    const before = around.aws.calls.length;
    const [fanned] = values(await invoke(coordinator, [{}], around));

    expect(fanned).toEqual({ segments: 4, queued: 4, failed: 0 });
    const sent = around.aws.calls.slice(before).filter((call) => call.target === 'AmazonSQS.SendMessageBatch');
    expect(sent.map((call) => call.input.QueueUrl)).toEqual([coordinator.environment.WATCHPOST_POLL_SEGMENT_QUEUE_URL]);
    const entries = sent[0]!.input.Entries as Array<{ MessageBody: string }>;
    expect(entries.map((entry) => (JSON.parse(entry.MessageBody) as { segment: number }).segment)).toEqual([0, 1, 2, 3]);

    const worker = synthesized.functions.get('watchpost-poller-segment')!;
    const outcomes = await invoke(worker, [{ Records: [sqsRecord(entries[2]!.MessageBody, 'arn:aws:sqs:eu-west-1:123456789012:segments', 1)] }], around);
    expect(outcomes).toEqual([{ value: null }]);
    expect(unexpectedCalls(around.aws.calls, ['secretsmanager.GetSecretValue', 'AmazonSQS.SendMessageBatch'])).toEqual([]);
  }, 60_000);
});
