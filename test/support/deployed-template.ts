/** A synthesized CloudFormation template, as much of it as the deployed-bundle tests read. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export const PLACEHOLDER_ACCOUNT = '123456789012';
export const PLACEHOLDER_REGION = 'eu-west-1';

const arn = (service: string, resource: string) => `arn:aws:${service}:${PLACEHOLDER_REGION}:${PLACEHOLDER_ACCOUNT}:${resource}`;

export interface PlaceholderOptions {
  /**
   * Where queue URLs point. The SQS client sends each call to its queue URL's
   * host (not to a configured endpoint), so a test serving SQS locally puts
   * its address here, as an emulator's queue URLs do.
   */
  readonly sqsEndpoint?: string;
}

/**
 * What CloudFormation would hand a function for `Ref` and `Fn::GetAtt` of a
 * resource: plausible values in the shapes AWS uses (a queue's URL, a topic's
 * ARN, a key's id), derived from the logical id so each is distinct. A type
 * or attribute not listed fails the test, so a new reference is never
 * resolved to something meaningless.
 */
export function placeholderFor(logicalId: string, type: string, attribute?: string, options: PlaceholderOptions = {}): string {
  const name = `Watchpost-${logicalId}`;
  const key = `${type}#${attribute ?? 'Ref'}`;
  switch (key) {
    case 'AWS::DynamoDB::Table#Ref':
    case 'AWS::DynamoDB::GlobalTable#Ref':
      return name;
    case 'AWS::DynamoDB::Table#Arn':
    case 'AWS::DynamoDB::GlobalTable#Arn':
      return arn('dynamodb', `table/${name}`);
    case 'AWS::SNS::Topic#Ref':
    case 'AWS::SNS::Topic#TopicArn':
      return arn('sns', name);
    case 'AWS::SNS::Topic#TopicName':
      return name;
    case 'AWS::SQS::Queue#Ref':
    case 'AWS::SQS::Queue#QueueUrl':
      return `${options.sqsEndpoint ?? `https://sqs.${PLACEHOLDER_REGION}.amazonaws.com`}/${PLACEHOLDER_ACCOUNT}/${name}`;
    case 'AWS::SQS::Queue#Arn':
      return arn('sqs', name);
    case 'AWS::SQS::Queue#QueueName':
      return name;
    case 'AWS::SecretsManager::Secret#Ref':
    case 'AWS::SecretsManager::Secret#Id':
      return arn('secretsmanager', `secret:${name}-AbCdEf`);
    case 'AWS::KMS::Key#Ref':
    case 'AWS::KMS::Key#KeyId':
      return '0b7a6c3e-8d4f-4e2a-9c1b-5f6e7d8a9b0c';
    case 'AWS::KMS::Key#Arn':
      return arn('kms', 'key/0b7a6c3e-8d4f-4e2a-9c1b-5f6e7d8a9b0c');
    default:
      throw new Error(`no placeholder for ${key} (${logicalId}); add one in the shape AWS returns`);
  }
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': PLACEHOLDER_REGION,
  'AWS::AccountId': PLACEHOLDER_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Watchpost',
};

/** Resolves the intrinsic functions a function's environment can hold (Ref, GetAtt, Join, Select) to strings. */
export function resolveValue(template: CfnTemplate, value: unknown, options: PlaceholderOptions = {}): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const [[fn, argument]] = Object.entries(value as Record<string, unknown>) as [[string, unknown]];
  if (fn === 'Ref') {
    const id = argument as string;
    if (PSEUDO[id]) return PSEUDO[id];
    return placeholderFor(id, resourceType(template, id), undefined, options);
  }
  if (fn === 'Fn::GetAtt') {
    const [id, attribute] = typeof argument === 'string' ? (argument.split('.') as [string, string]) : (argument as [string, string]);
    return placeholderFor(id, resourceType(template, id), attribute, options);
  }
  if (fn === 'Fn::Join') {
    const [separator, parts] = argument as [string, unknown[]];
    return parts.map((part) => resolveValue(template, part, options)).join(separator);
  }
  if (fn === 'Fn::Select') {
    const [index, list] = argument as [number, unknown[]];
    return resolveValue(template, list[index], options);
  }
  throw new Error(`cannot resolve ${fn} in a function's environment`);
}

function resourceType(template: CfnTemplate, id: string): string {
  const resource = template.Resources[id];
  if (!resource) throw new Error(`Ref to ${id}, which the template does not declare`);
  return resource.Type;
}

/** The environment an AWS::Lambda::Function declares, each value resolved. */
export function functionEnvironment(template: CfnTemplate, logicalId: string, options: PlaceholderOptions = {}): Record<string, string> {
  const variables = ((template.Resources[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolveValue(template, value, options)]));
}
