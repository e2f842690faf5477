import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, UpdateContinuousBackupsCommand, UpdateTimeToLiveCommand, waitUntilTableExists, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, GetRandomPasswordCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Assembly, CfnResource } from './assembly';

/** moto's account; every ARN it makes carries it. */
export const ACCOUNT_ID = '123456789012';
/** Credentials moto accepts (it checks none). */
export const DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' };

/** What one template resource became in moto: what `Ref` and `Fn::GetAtt` of it give. */
export interface Provisioned {
  ref: string;
  attributes: Record<string, string>;
}

/**
 * Resource types not created in moto, and why: each is either driven by the
 * test itself (API Gateway, Scheduler, the SQS event source mappings, the
 * functions, which run as processes of their own), or enforced by nothing in
 * moto (IAM roles and policies, Lambda permissions), or outside the story
 * (logs, alarms, the dashboard, async-invoke settings).
 */
const DRIVEN_BY_THE_TEST = new Set([
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::Permission',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::Scheduler::Schedule',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::Stage',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::Logs::LogGroup',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::CDK::Metadata',
]);

export class Unresolvable extends Error {}

export interface Clients {
  dynamo: DynamoDBClient;
  kms: KMSClient;
  secrets: SecretsManagerClient;
  sns: SNSClient;
  sqs: SQSClient;
}

export function clientsFor(endpoint: string, region: string): Clients {
  const config = { endpoint, region, credentials: DUMMY_CREDENTIALS };
  return { dynamo: new DynamoDBClient(config), kms: new KMSClient(config), secrets: new SecretsManagerClient(config), sns: new SNSClient(config), sqs: new SQSClient(config) };
}

/** The region the template was synthesized for (CDK writes it into the table's replica). */
export function regionOf(assembly: Assembly): string {
  const [tableId] = assembly.idsOf('AWS::DynamoDB::GlobalTable');
  const replicas = assembly.resource(tableId as string).Properties?.Replicas as Array<{ Region?: string }> | undefined;
  return replicas?.[0]?.Region ?? 'us-east-1';
}

/**
 * The template made real in moto. Each resource is created from its own
 * properties (moto's CloudFormation cannot deploy AWS::DynamoDB::GlobalTable
 * or AWS::SecretsManager::Secret), in dependency order, with physical names
 * as CloudFormation makes them (stack, logical id, random suffix).
 */
export class Stack {
  readonly resources = new Map<string, Provisioned>();
  /** Every resource type the template holds that was not created, with its count. */
  readonly notCreated = new Map<string, number>();

  private constructor(
    readonly assembly: Assembly,
    readonly clients: Clients,
    readonly region: string,
  ) {}

  static async provision(assembly: Assembly, endpoint: string): Promise<Stack> {
    const region = regionOf(assembly);
    const stack = new Stack(assembly, clientsFor(endpoint, region), region);
    await stack.createAll();
    return stack;
  }

  /** Resolves Ref, Fn::GetAtt, Fn::Join and Fn::Sub against what was created; throws on anything else. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      const [fn, arg] = first;
      if (fn === 'Ref') return this.ref(arg as string);
      if (fn === 'Fn::GetAtt') return this.getAtt(...(arg as [string, string]));
      if (fn === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((part) => String(this.resolve(part))).join(separator);
      }
      if (fn === 'Fn::Sub' && typeof arg === 'string') {
        return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const [id, attribute] = name.split('.');
          return attribute ? this.getAtt(id as string, attribute) : this.ref(id as string);
        });
      }
      throw new Unresolvable(`cannot resolve ${fn} here: ${JSON.stringify(arg)}`);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item)]));
  }

  /** A function's environment, as its AWS::Lambda::Function resource declares it, resolved. */
  functionEnvironment(functionId: string): Record<string, string> {
    const variables = (this.assembly.resource(functionId).Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(this.resolve(value))]));
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = { 'AWS::Region': this.region, 'AWS::AccountId': ACCOUNT_ID, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'Watchpost' };
    if (pseudo[id]) return pseudo[id];
    const created = this.resources.get(id);
    if (!created) throw new Unresolvable(`Ref ${id}: not created (yet)`);
    return created.ref;
  }

  private getAtt(id: string, attribute: string): string {
    const value = this.resources.get(id)?.attributes[attribute];
    if (value === undefined) throw new Unresolvable(`Fn::GetAtt ${id}.${attribute}: not created (yet)`);
    return value;
  }

  private physicalName(logicalId: string, maxLength = 80): string {
    const suffix = randomBytes(6).toString('hex').toUpperCase();
    return `Watchpost-${logicalId.slice(0, Math.max(1, maxLength - suffix.length - 11))}-${suffix}`;
  }

  private async createAll(): Promise<void> {
    const pending = new Map(Object.entries(this.assembly.template.Resources).filter(([, r]) => !DRIVEN_BY_THE_TEST.has(r.Type)));
    for (const [, r] of Object.entries(this.assembly.template.Resources)) {
      if (DRIVEN_BY_THE_TEST.has(r.Type)) this.notCreated.set(r.Type, (this.notCreated.get(r.Type) ?? 0) + 1);
    }
    // Not created, but named: others refer to a function, a role or a log group by name and ARN.
    const arns: Record<string, (name: string) => string> = {
      'AWS::Lambda::Function': (name) => `arn:aws:lambda:${this.region}:${ACCOUNT_ID}:function:${name}`,
      'AWS::IAM::Role': (name) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`,
      'AWS::Logs::LogGroup': (name) => `arn:aws:logs:${this.region}:${ACCOUNT_ID}:log-group:${name}:*`,
    };
    for (const [id, resource] of Object.entries(this.assembly.template.Resources)) {
      if (!DRIVEN_BY_THE_TEST.has(resource.Type)) continue;
      const name = this.physicalName(id, 64);
      const arn = arns[resource.Type];
      this.resources.set(id, { ref: name, attributes: arn ? { Arn: arn(name) } : {} });
    }
    while (pending.size > 0) {
      let progressed = false;
      for (const [id, resource] of pending) {
        let properties: Record<string, unknown>;
        try {
          properties = this.resolve(resource.Properties ?? {}) as Record<string, unknown>;
        } catch (error) {
          if (error instanceof Unresolvable) continue;
          throw error;
        }
        this.resources.set(id, await this.create(id, resource, properties));
        pending.delete(id);
        progressed = true;
      }
      if (!progressed) throw new Error(`cannot provision ${[...pending.keys()].join(', ')}: their references never resolve`);
    }
  }

  private async create(id: string, resource: CfnResource, p: Record<string, unknown>): Promise<Provisioned> {
    const { dynamo, kms, secrets, sns, sqs } = this.clients;
    switch (resource.Type) {
      case 'AWS::KMS::Key': {
        const { KeyMetadata } = await kms.send(
          new CreateKeyCommand({ Description: p.Description as string, Policy: JSON.stringify(p.KeyPolicy), KeyUsage: p.KeyUsage as 'ENCRYPT_DECRYPT' | undefined, KeySpec: p.KeySpec as 'SYMMETRIC_DEFAULT' | undefined }),
        );
        if (!KeyMetadata?.KeyId || !KeyMetadata.Arn) throw new Error(`${id}: CreateKey returned no key`);
        if (p.EnableKeyRotation === true) await kms.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata.KeyId }));
        return { ref: KeyMetadata.KeyId, attributes: { Arn: KeyMetadata.Arn, KeyId: KeyMetadata.KeyId } };
      }
      case 'AWS::SNS::Topic': {
        const name = this.physicalName(id, 256);
        const attributes: Record<string, string> = {};
        if (p.DisplayName) attributes.DisplayName = p.DisplayName as string;
        if (p.KmsMasterKeyId) attributes.KmsMasterKeyId = p.KmsMasterKeyId as string;
        const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
        if (!TopicArn) throw new Error(`${id}: CreateTopic returned no ARN`);
        return { ref: TopicArn, attributes: { TopicArn, TopicName: name } };
      }
      case 'AWS::SNS::TopicPolicy': {
        for (const topic of p.Topics as string[]) await sns.send(new SetTopicAttributesCommand({ TopicArn: topic, AttributeName: 'Policy', AttributeValue: JSON.stringify(p.PolicyDocument) }));
        return { ref: id, attributes: {} };
      }
      case 'AWS::SQS::Queue': {
        const name = this.physicalName(id);
        const attributes: Record<string, string> = {};
        for (const key of ['MessageRetentionPeriod', 'VisibilityTimeout', 'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'MaximumMessageSize', 'SqsManagedSseEnabled', 'KmsMasterKeyId']) {
          if (p[key] !== undefined) attributes[key] = String(p[key]);
        }
        if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
        if (!QueueUrl) throw new Error(`${id}: CreateQueue returned no URL`);
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
        return { ref: QueueUrl, attributes: { Arn: Attributes?.QueueArn as string, QueueName: name, QueueUrl } };
      }
      case 'AWS::SQS::QueuePolicy': {
        for (const queue of p.Queues as string[]) await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue, Attributes: { Policy: JSON.stringify(p.PolicyDocument) } }));
        return { ref: id, attributes: {} };
      }
      case 'AWS::SNS::Subscription': {
        const attributes: Record<string, string> = {};
        if (p.FilterPolicy) attributes.FilterPolicy = JSON.stringify(p.FilterPolicy);
        if (p.FilterPolicyScope) attributes.FilterPolicyScope = p.FilterPolicyScope as string;
        if (p.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = String(p.RawMessageDelivery);
        if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
        const { SubscriptionArn } = await sns.send(
          new SubscribeCommand({ TopicArn: p.TopicArn as string, Protocol: p.Protocol as string, Endpoint: p.Endpoint as string, Attributes: attributes, ReturnSubscriptionArn: true }),
        );
        if (!SubscriptionArn) throw new Error(`${id}: Subscribe returned no ARN`);
        return { ref: SubscriptionArn, attributes: {} };
      }
      case 'AWS::DynamoDB::GlobalTable': {
        const name = this.physicalName(id, 255);
        const replica = (p.Replicas as Array<Record<string, unknown>>).find((r) => r.Region === this.region) ?? {};
        const input: CreateTableCommandInput = {
          TableName: name,
          AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
          KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
          BillingMode: p.BillingMode as 'PAY_PER_REQUEST',
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
          DeletionProtectionEnabled: replica.DeletionProtectionEnabled === true,
        };
        const sse = p.SSESpecification as { SSEEnabled?: boolean; SSEType?: string } | undefined;
        if (sse?.SSEEnabled) input.SSESpecification = { Enabled: true, SSEType: (sse.SSEType ?? 'KMS') as 'KMS' };
        const { TableDescription } = await dynamo.send(new CreateTableCommand(input));
        await waitUntilTableExists({ client: dynamo, maxWaitTime: 30 }, { TableName: name });
        const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
        if (ttl?.Enabled) await dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
        const pitr = replica.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
        if (pitr?.PointInTimeRecoveryEnabled) {
          await dynamo.send(new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
        }
        return { ref: name, attributes: { Arn: TableDescription?.TableArn as string } };
      }
      case 'AWS::SecretsManager::Secret': {
        const generate = p.GenerateSecretString as
          | { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: number; ExcludePunctuation?: boolean; ExcludeCharacters?: string; IncludeSpace?: boolean }
          | undefined;
        let secretString = p.SecretString as string | undefined;
        if (generate) {
          // As CloudFormation does: a generated password, alone or as one key of the template's JSON.
          const { RandomPassword } = await secrets.send(
            new GetRandomPasswordCommand({ PasswordLength: generate.PasswordLength, ExcludePunctuation: generate.ExcludePunctuation, ExcludeCharacters: generate.ExcludeCharacters, IncludeSpace: generate.IncludeSpace }),
          );
          secretString =
            generate.SecretStringTemplate && generate.GenerateStringKey
              ? JSON.stringify({ ...(JSON.parse(generate.SecretStringTemplate) as object), [generate.GenerateStringKey]: RandomPassword })
              : RandomPassword;
        }
        const { ARN, Name } = await secrets.send(new CreateSecretCommand({ Name: this.physicalName(id, 512), Description: p.Description as string, SecretString: secretString, KmsKeyId: p.KmsKeyId as string | undefined }));
        if (!ARN) throw new Error(`${id}: CreateSecret returned no ARN`);
        return { ref: ARN, attributes: { Id: ARN, Name: Name as string } };
      }
      default:
        throw new Error(`${id}: no provisioning for ${resource.Type}; add it here or to DRIVEN_BY_THE_TEST with the reason`);
    }
  }
}
