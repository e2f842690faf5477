import { TOKEN_USE_ATTRIBUTES } from '../../lib/constructs/watch-store';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig, WatchpostConfigError } from '../../lib/config';
import { WatchpostStack } from '../../lib/watchpost-stack';

/** Asset bundling is skipped here (it has its own test below) to keep these fast. */
function synth(config: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new WatchpostStack(app, 'Watchpost', { config, env: { account: '123456789012', region: 'eu-west-1' } });
  return { stack, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

/** Every IAM statement attached to the role of the function whose logical id starts with `prefix`. */
function statementsOf(template: Template, prefix: string): Statement[] {
  const functions = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(prefix)) ?? [];
  const roleId = (fn as { Properties: { Role: { 'Fn::GetAtt': [string] } } }).Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(roleId),
  );
  return policies.flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

const actionsOf = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

let template: Template;
let stack: WatchpostStack;
beforeAll(() => {
  ({ template, stack } = synth());
});

describe('store', () => {
  it('is on-demand, with point-in-time recovery, TTL and both indexes, and survives stack deletion', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          // A sort key unique per item on every index (see table.ts: the embedded server needs it).
          Match.objectLike({ IndexName: 'pollable', KeySchema: [{ AttributeName: 'pollShard', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }] }),
          Match.objectLike({ IndexName: 'byTeam', KeySchema: [{ AttributeName: 'teamPk', KeyType: 'HASH' }, { AttributeName: 'teamSk', KeyType: 'RANGE' }] }),
        ],
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      }),
    });
  });
});

describe('change topic and queues', () => {
  it('encrypts the topic with a rotated key and refuses non-TLS access', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Watchpost changes', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('makes both queues TLS-only and encrypted, and redrives to the dead-letter queue after 5 receives', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    const tlsOnly = Object.values(policies).filter((p) => JSON.stringify(p).includes('"aws:SecureTransport":"false"'));
    expect(tlsOnly).toHaveLength(2);
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 } });
  });

  it('fans the topic out to the delivery queue as raw CloudEvents, without the notices meant for email', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      FilterPolicy: { eventType: [{ 'anything-but': ['io.watchpost.subscription.disabled'] }] },
    });
  });
});

describe('poller', () => {
  it('runs on Node.js 24 and drops ticks it cannot take', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Timeout: 300, Description: 'Polls watched resources and publishes their changes' });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
  });

  it('is scheduled every minute by default, and at the configured rate otherwise', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)', Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } }) });
    synth({ pollRateMinutes: 5 }).template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('is wired to its table, topic and credentials secret, and holds no credential itself', () => {
    const env = new Capture();
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WATCHPOST_POLL_CONCURRENCY: '16' }) } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: env } });
    const variables = env.asObject();
    expect(variables).toMatchObject({
      WATCHPOST_TABLE_NAME: stack.resolve(stack.store.table.tableName),
      WATCHPOST_TOPIC_ARN: stack.resolve(stack.changes.topic.topicArn),
      WATCHPOST_UPSTREAM_SECRET_ARN: stack.resolve(stack.secrets.upstreamCredentials.secretArn),
      WATCHPOST_POLL_CONCURRENCY: '16',
    });
    expect(Object.keys(variables)).not.toEqual(expect.arrayContaining(['ADAPTION_API_KEY']));
    expect(Object.keys(variables).filter((k) => /TOKEN$|PASSWORD|API_KEY/.test(k))).toEqual([]);
  });

  it('reserves no concurrency by default, so an account with a quota of 10 can deploy; reserves it when configured', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { ReservedConcurrentExecutions?: number } }>;
    expect(functions.filter((fn) => fn.Properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
    synth({ pollerReservedConcurrency: 1 }).template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1, Description: 'Polls watched resources and publishes their changes' });
  });

  it('tells the poller its schedule and sweep interval, and accepts sweeps below a minute', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WATCHPOST_POLL_INTERVAL_SECONDS: '60', WATCHPOST_SWEEP_SECONDS: '60' }) },
    });
    synth({ sweepSeconds: 15 }).template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WATCHPOST_SWEEP_SECONDS: '15' }) } });
    expect(() => synth({ sweepSeconds: 2 })).toThrow(/watchpost:sweepSeconds: must be a whole number from 5/);
  });

  it('stops a tick at 80% of its interval', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WATCHPOST_TICK_DEADLINE_SECONDS: '48' }) } });
  });

  it('may scan, read, put, update, delete (a resume position) and batch-write the table, publish to the topic and read its secret; nothing else', () => {
    const statements = statementsOf(template, 'PollerFunction');
    expect(actionsOf(statements).filter((a) => !a.startsWith('xray:'))).toEqual(
      ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem', 'kms:Decrypt', 'kms:GenerateDataKey*', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'sns:Publish'].sort(),
    );
    const publish = statements.find((s) => s.Action === 'sns:Publish');
    expect(publish?.Resource).toEqual(stack.resolve(stack.changes.topic.topicArn));
  });
});

describe('watch API', () => {
  it('throttles its stage and writes JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('guards every route but health, the OpenAPI document and the event catalog with the team-token authorizer, cached at most 60 s so a revoked token stops within a minute', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 60,
      IdentitySource: ['$request.header.Authorization'],
    });
    for (const authorizer of Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'))) {
      expect((authorizer as { Properties: { AuthorizerResultTtlInSeconds: number } }).Properties.AuthorizerResultTtlInSeconds).toBeLessThanOrEqual(60);
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}', AuthorizationType: 'CUSTOM' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /healthz', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/openapi.json', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/event-types', AuthorizationType: 'NONE' });
    const open = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter((r) => (r as { Properties: { AuthorizationType: string } }).Properties.AuthorizationType === 'NONE');
    expect(open).toHaveLength(7);
  });

  it('routes the console’s three paths (page, page with slash, its files) to the API function without the authorizer', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    const handlerIntegrations = Object.entries(integrations)
      .filter(([, integration]) => JSON.stringify((integration as { Properties: unknown }).Properties).includes('WatchApiHandlerFunction'))
      .map(([id]) => id);
    expect(handlerIntegrations).toHaveLength(1);
    const console = Object.values(routes)
      .map((route) => (route as { Properties: { RouteKey: string; AuthorizationType: string; AuthorizerId?: unknown; Target: unknown } }).Properties)
      .filter((route) => route.RouteKey.includes('/console'));

    expect(console.map((route) => route.RouteKey).sort()).toEqual(['GET /console', 'GET /console/', 'GET /console/{proxy+}']);
    for (const route of console) {
      expect(route.AuthorizationType, route.RouteKey).toBe('NONE');
      expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
      expect(route.Target, route.RouteKey).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: handlerIntegrations[0] }]] });
    }
    // API Gateway may invoke the function for each of them (the permission names the route's path).
    const invokable = Object.values(template.findResources('AWS::Lambda::Permission'))
      .map((permission) => JSON.stringify((permission as { Properties: { SourceArn: unknown } }).Properties.SourceArn))
      .filter((arn) => arn.includes('/console'))
      .map((arn) => /\/\*\/\*(\/console[^"]*)"/.exec(arn)?.[1])
      .sort();
    expect(invokable).toEqual(['/console', '/console/', '/console/{proxy+}']);
  });

  it('routes the API’s root to the API function without the authorizer, so / leads to the console', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /', AuthorizationType: 'NONE' });
    const root = Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
      .map((route) => (route as { Properties: { RouteKey: string; AuthorizerId?: unknown } }).Properties)
      .filter((route) => route.RouteKey === 'GET /');
    expect(root).toHaveLength(1);
    expect(root[0]!.AuthorizerId).toBeUndefined();
  });

  it('gives registration an upstream deadline well inside the handler’s 29 s timeout, configurable up to 20 s', () => {
    const variables = (found: Template) =>
      Object.values(found.findResources('AWS::Lambda::Function'))
        .map((fn) => (fn as { Properties: { Timeout: number; Environment: { Variables: Record<string, unknown> } } }).Properties)
        .find((fn) => fn.Environment.Variables.POWERTOOLS_SERVICE_NAME === 'watchpost-api')!;
    const api = variables(template);
    expect([api.Timeout, api.Environment.Variables.WATCHPOST_API_UPSTREAM_DEADLINE_MS]).toEqual([29, '15000']);
    expect(variables(synth({ apiUpstreamDeadlineSeconds: 5 }).template).Environment.Variables.WATCHPOST_API_UPSTREAM_DEADLINE_MS).toBe('5000');
    expect(() => resolveConfig({ apiUpstreamDeadlineSeconds: 21 })).toThrow('watchpost:apiUpstreamDeadlineSeconds: must be a whole number from 1 to 20 (got 21)');
    expect(resolveConfig({ apiUpstreamDeadlineSeconds: 20 }).apiUpstreamDeadlineSeconds).toBe(20);
  });

  it('lets the authorizer read items and the admin token, and write only token use to token and team items', () => {
    const statements = statementsOf(template, 'WatchApiAuthorizerFunction');
    expect(actionsOf(statements).filter((a) => !a.startsWith('xray:'))).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    );
    const writes = statements.filter((s) => actionsOf([s]).includes('dynamodb:UpdateItem'));
    expect(writes).toHaveLength(1);
    expect(writes[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TOKEN#*', 'TEAM#*'] },
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TOKEN_USE_ATTRIBUTES] },
    });
  });

  it('lets the API handler manage items and email subscriptions, but not scan, publish or use queues', () => {
    const actions = actionsOf(statementsOf(template, 'WatchApiHandlerFunction'));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'sns:Subscribe', 'sns:Unsubscribe']));
    expect(actions.filter((a) => ['dynamodb:Scan', 'sns:Publish'].includes(a) || a.startsWith('sqs:'))).toEqual([]);
  });
});

describe('the cursor key', () => {
  const cursorKeyArn = () => stack.resolve(stack.secrets.cursorKey.secretArn) as unknown;

  it('is a generated secret of its own, kept when the stack goes', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('signs pagination cursors'), GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } },
      DeletionPolicy: 'Retain',
    });
  });

  it('is named to the API handler, which alone may read it', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.anyValue(),
      Environment: { Variables: Match.objectLike({ WATCHPOST_CURSOR_KEY_SECRET_ARN: cursorKeyArn() }) },
    });
    const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement.some((s) => JSON.stringify(s.Resource) === JSON.stringify(cursorKeyArn())),
    );
    const handlerStatements = statementsOf(template, 'WatchApiHandlerFunction').filter((s) => JSON.stringify(s.Resource) === JSON.stringify(cursorKeyArn()));

    expect(readers).toHaveLength(1);
    expect(actionsOf(handlerStatements)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });
});

describe('SNS permissions, as SNS authorizes them', () => {
  // Subscribe, Unsubscribe, GetSubscriptionAttributes and SetSubscriptionAttributes are
  // authorized against the topic's ARN; a grant on `topic:*` (the subscriptions) is denied.
  const SUBSCRIPTION_ACTIONS = ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes'];

  it('grants the API exactly the email-subscription actions it uses, each on the change topic’s ARN', () => {
    const statements = statementsOf(template, 'WatchApiHandlerFunction').filter((s) => actionsOf([s]).some((a) => a.startsWith('sns:')));
    expect(actionsOf(statements)).toEqual(['sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:Subscribe', 'sns:Unsubscribe']);
    for (const statement of statements) expect(statement.Resource).toEqual(stack.resolve(stack.changes.topic.topicArn));
  });

  it('grants no subscription action on a subscription-shaped ARN to any function', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement) {
        if (!actionsOf([statement]).some((a) => SUBSCRIPTION_ACTIONS.includes(a))) continue;
        expect(JSON.stringify(statement.Resource)).not.toMatch(/:\*"/);
      }
    }
  });

  it('lets CloudWatch publish to the operator topic, only for this account’s alarms', () => {
    const alarmTopic = stack.resolve(stack.monitoring.alarmTopic.topicArn);
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')) as Array<{ Properties: { Topics: unknown[]; PolicyDocument: { Statement: Array<Record<string, unknown>> } } }>;
    const statements = policies.filter((p) => JSON.stringify(p.Properties.Topics).includes(JSON.stringify(alarmTopic))).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: alarmTopic,
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*']] } },
          },
        }),
      ]),
    );
  });

  it('lets CloudWatch use the key that encrypts the operator topic', () => {
    const keyPolicy = (Object.values(template.findResources('AWS::KMS::Key', { Properties: { Description: 'Watchpost topics' } }))[0] as { Properties: { KeyPolicy: { Statement: Array<Record<string, unknown>> } } }).Properties.KeyPolicy.Statement;
    expect(keyPolicy).toEqual(expect.arrayContaining([expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]));
  });
});

describe('webhook secrets key', () => {
  const keyArn = () => stack.resolve(stack.secrets.webhookSecretsKey.keyArn);
  const onKey = (statements: Statement[]) => statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn()));

  it('is a rotated key of its own, kept when the stack goes', () => {
    const key = template.findResources('AWS::KMS::Key', { Properties: { Description: 'Watchpost: seals webhook signing secrets at rest' } });
    expect(Object.values(key)).toEqual([expect.objectContaining({ DeletionPolicy: 'Retain', Properties: expect.objectContaining({ EnableKeyRotation: true }) })]);
  });

  it('lets the API seal and open, the delivery function only open, and nothing else use it', () => {
    expect(actionsOf(onKey(statementsOf(template, 'WatchApiHandlerFunction')))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(actionsOf(onKey(statementsOf(template, 'DeliveryDelivererFunction')))).toEqual(['kms:Decrypt']);
    for (const other of ['PollerFunction', 'WatchApiAuthorizerFunction']) expect(onKey(statementsOf(template, other))).toEqual([]);
  });

  it('is named to both functions that use it', () => {
    for (const prefix of ['WatchApiHandlerFunction', 'DeliveryDelivererFunction']) {
      const functions = template.findResources('AWS::Lambda::Function');
      const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(prefix))!;
      expect((fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables.WATCHPOST_SECRETS_KEY_ARN).toEqual(keyArn());
    }
  });
});

describe('poll fan-out (watchpost:pollSegments)', () => {
  const fanned = synth({ pollSegments: 4 });

  it('is off by default: one scheduled function polls everything, with no segment queue or worker', () => {
    expect(stack.poller.segments).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.includes('SegmentWorker'))).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WATCHPOST_POLL_SEGMENTS: '1' }) } });
  });

  it('hands each tick to a worker per segment through an encrypted queue, one message per invocation', () => {
    const { template: t, stack: s } = fanned;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WATCHPOST_POLL_SEGMENTS: '4', WATCHPOST_POLL_SEGMENT_QUEUE_URL: s.resolve(s.poller.segments!.queue.queueUrl) }) },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: s.resolve(s.poller.segments!.queue.queueArn),
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 3600, RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 2 } });
    const send = statementsOf(t, 'PollerFunction').filter((st) => actionsOf([st]).includes('sqs:SendMessage'));
    expect(send.map((st) => st.Resource)).toEqual([s.resolve(s.poller.segments!.queue.queueArn)]);
  });

  it('gives the workers what polling needs and nothing to do with the queue but consume it', () => {
    const worker = actionsOf(statementsOf(fanned.template, 'PollerSegmentWorker')).filter((a) => !a.startsWith('xray:'));
    expect(worker).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'sns:Publish', 'secretsmanager:GetSecretValue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    expect(worker).not.toContain('sqs:SendMessage');
  });

  it('alarms when ticks keep overrunning, when segment messages wait longer than a tick or could not be queued, and when a worker fails', () => {
    fanned.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TicksCutOff', Threshold: 1, EvaluationPeriods: 3, AlarmActions: [Match.anyValue()] });
    fanned.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 60, EvaluationPeriods: 3 });
    fanned.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: fanned.stack.resolve(fanned.stack.poller.segments!.worker.functionName) }] });
    fanned.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SegmentsNotQueued', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TicksCutOff' });
    expect(() => synth({ pollSegments: 101 })).toThrow(/watchpost:pollSegments: must be a whole number from 1 to 100/);
  });

  it('passes cdk-nag AwsSolutions with the fan-out on', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: mkdtempSync(join(tmpdir(), 'watchpost-fan-')) });
    new WatchpostStack(app, 'Watchpost', { config: { pollSegments: 8 }, env: { account: '123456789012', region: 'eu-west-1' } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).not.toThrow();
  });
});

describe('delivery', () => {
  it('consumes the queue with partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
  });

  it('may send only to its own queue and dead-letter queue, and publish only to the topic (notices to a team whose endpoint it disabled)', () => {
    const statements = statementsOf(template, 'DeliveryDelivererFunction');
    const send = statements.filter((s) => actionsOf([s]).includes('sqs:SendMessage'));
    expect(send.map((s) => s.Resource)).toEqual([stack.resolve(stack.delivery.queue.queueArn), stack.resolve(stack.delivery.deadLetterQueue.queueArn)]);
    const publish = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('sns:')));
    expect(publish.map((s) => [s.Action, s.Resource])).toEqual([['sns:Publish', stack.resolve(stack.changes.topic.topicArn)]]);
    expect(actionsOf(statements)).not.toContain('dynamodb:Scan');
    const environment = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f).includes('watchpost-delivery'))?.Properties.Environment.Variables;
    expect(environment.WATCHPOST_TOPIC_ARN).toEqual(stack.resolve(stack.changes.topic.topicArn));
  });
});

describe('concurrency budget (watchpost:deliveryMaxConcurrency, watchpost:accountConcurrency)', () => {
  const deliveryScaling = (t: Template) =>
    Object.values(t.findResources('AWS::Lambda::EventSourceMapping'))
      .map((mapping) => (mapping as { Properties: { BatchSize: number; ScalingConfig?: { MaximumConcurrency: number } } }).Properties)
      .filter((mapping) => mapping.BatchSize === 10)
      .map((mapping) => mapping.ScalingConfig?.MaximumConcurrency);
  const budgetWarnings = (s: WatchpostStack) => Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('concurrent executions'));

  it('lets the delivery event source run 2 executions by default, and the configured number otherwise', () => {
    expect(deliveryScaling(template)).toEqual([2]);
    expect(deliveryScaling(synth({ deliveryMaxConcurrency: 5 }).template)).toEqual([5]);
    expect(() => resolveConfig({ deliveryMaxConcurrency: 1 })).toThrow('watchpost:deliveryMaxConcurrency: must be a whole number from 2 to 1000 (got 1)');
  });

  it('counts the background peak: poller (reserved or 1), a worker per segment when fanned out, delivery', async () => {
    const { backgroundConcurrency } = await import('../../lib/config');
    expect(backgroundConcurrency(resolveConfig({}))).toEqual({ poller: 1, segmentWorkers: 0, delivery: 2, total: 3 });
    expect(backgroundConcurrency(resolveConfig({ pollSegments: 4 }))).toEqual({ poller: 1, segmentWorkers: 4, delivery: 2, total: 7 });
    expect(backgroundConcurrency(resolveConfig({ pollSegments: 8, deliveryMaxConcurrency: 4, pollerReservedConcurrency: 2 }))).toEqual({ poller: 2, segmentWorkers: 8, delivery: 4, total: 14 });
  });

  it('synthesizes quietly while two executions are left for the API and authorizer, and warns once fewer are', () => {
    expect(budgetWarnings(stack)).toEqual([]);
    // 1 + 7 workers + 2 = 10 of 10: nothing left for the API.
    const { stack: crowded } = synth({ pollSegments: 7 });
    const warnings = budgetWarnings(crowded);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.entry.data)).toBe(
      'At its peak this configuration runs 10 concurrent executions in the background (poller 1, segment workers 7, delivery 2), leaving 0 of watchpost:accountConcurrency 10 for the API and its authorizer (they need at least 2): raise the account quota (and watchpost:accountConcurrency), or lower watchpost:pollSegments or watchpost:deliveryMaxConcurrency.',
    );
    // Exactly two left (1 + 5 + 2 = 8 of 10) is enough; a larger account quota clears the warning.
    expect(budgetWarnings(synth({ pollSegments: 5 }).stack)).toEqual([]);
    expect(budgetWarnings(synth({ pollSegments: 6 }).stack)).toHaveLength(1);
    expect(budgetWarnings(synth({ pollSegments: 7, accountConcurrency: 12 }).stack)).toEqual([]);
  });
});

describe('monitoring', () => {
  it.each([
    ['poller errors', 'Errors', 1],
    ['poller duration at 80% of its timeout', 'Duration', 240_000],
    ['upstream credential failures', 'CredentialFailures', 1],
    ['dead-letter queue depth', 'ApproximateNumberOfMessagesVisible', 1],
    ['API 5xx', '5xx', 5],
  ])('alarms on %s', (_name, metricName, threshold) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metricName, Threshold: threshold, AlarmActions: [Match.anyValue()] });
  });

  it('has a dashboard and an encrypted operator topic, emailed when configured', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Watchpost operator alarms', KmsMasterKeyId: Match.anyValue() });
    synth({ alarmEmail: 'oncall@corp.example' }).template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@corp.example' });
  });
});

describe('configuration', () => {
  it('rejects bad props with one error listing every problem', () => {
    let error: unknown;
    try {
      resolveConfig({ pollRateMinutes: 0, adaptionBaseUrl: 'http://insecure.example', alarmEmail: 'nope', pollConcurrency: 2.5 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(WatchpostConfigError);
    expect((error as WatchpostConfigError).problems.map((p) => p.split(':')[1])).toEqual(['pollRateMinutes', 'pollConcurrency', 'adaptionBaseUrl', 'alarmEmail']);
  });

  it('reads numbers given as strings on the command line', async () => {
    const { configFromContext } = await import('../../lib/config');
    expect(resolveConfig(configFromContext((key) => (key === 'watchpost:pollRateMinutes' ? '3' : undefined))).pollRateMinutes).toBe(3);
  });
});

describe('synthesis', () => {
  it('reports no CDK warnings', () => {
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('bundles every function locally with esbuild and passes cdk-nag AwsSolutions with no unacknowledged finding', () => {
    // CDK announces each bundle on stderr itself, while the stack is built; keep that out of the test output, and count it.
    const announced: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (announced.push(String(chunk)), true));
    let bundled: WatchpostStack;
    let assembly;
    try {
      const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'watchpost-synth-')) });
      bundled = new WatchpostStack(app, 'Watchpost', { env: { account: '123456789012', region: 'eu-west-1' } });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      assembly = app.synth();
    } finally {
      write.mockRestore();
    }

    expect(announced.filter((line) => line.startsWith('Bundling asset Watchpost/'))).toHaveLength(4);
    const code = Object.values(Template.fromStack(bundled).findResources('AWS::Lambda::Function')).map(
      (fn) => (fn as { Properties: { Code: { S3Key: unknown } } }).Properties.Code.S3Key,
    );
    const bundles = readdirSync(assembly.directory).filter((entry) => entry.startsWith('asset.') && existsSync(join(assembly.directory, entry, 'index.mjs')));
    expect(code).toHaveLength(4);
    expect(bundles).toHaveLength(4);
    // The API function's bundle carries the built console (its afterBundling hook).
    const withConsole = bundles.filter((entry) => existsSync(join(assembly.directory, entry, 'console', 'index.html')));
    expect(withConsole).toHaveLength(1);
    expect(readdirSync(join(assembly.directory, withConsole[0]!, 'console')).sort()).toEqual(['app.css', 'app.js', 'index.html']);
  }, 120_000);

  it('fails synthesis when a cdk-nag finding is left unacknowledged', async () => {
    const { Stack } = await import('aws-cdk-lib');
    const { Queue } = await import('aws-cdk-lib/aws-sqs');
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'watchpost-nag-')) });
    new Queue(new Stack(app, 'Careless'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow();
  });
});
