import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { WatchpostStack } from './watchpost-stack';

/**
 * cdk-nag AwsSolutions findings Watchpost accepts, each with its reason.
 * Kept in one place so a reviewer sees every exception at once; wildcard
 * findings are acknowledged one by one, never as a whole rule.
 */
export function acknowledgeNagFindings(stack: WatchpostStack): void {
  const ack = (scope: IConstruct, finding: string, reason: string) => Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
  const resolve = (token: string) => Stack.of(stack).resolve(token) as unknown;
  const logicalId = (value: unknown) => (value as { 'Fn::GetAtt'?: [string]; Ref?: string })['Fn::GetAtt']?.[0] ?? (value as { Ref?: string }).Ref;

  ack(stack, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'Only lets each function write its own CloudWatch logs.');
  ack(stack, 'IAM5[Resource::*]', 'X-Ray PutTraceSegments and PutTelemetryRecords cannot be scoped to a resource.');
  ack(stack, `IAM5[Resource::<${logicalId(resolve(stack.store.table.tableArn))}.Arn>/index/*]`, 'The indexes of Watchpost’s own table (pollable, byTeam), with the same listed actions.');
  ack(stack, `IAM5[Resource::<${logicalId(resolve(stack.poller.function.functionArn))}.Arn>:*]`, 'The scheduler may invoke the poller’s versions; CDK’s Scheduler target grants this shape.');
  ack(stack, 'IAM5[Action::kms:GenerateDataKey*]', 'Publishing to the topic encrypted with Watchpost’s own key; granted by Topic.grantPublish on that key only.');
  ack(stack.secrets.upstreamCredentials, 'SMG4', 'Third-party API credentials cannot be rotated by a Lambda of ours; operators rotate them at the provider.');
  ack(stack.secrets.adminToken, 'SMG4', 'The operator token is rotated by hand (put-secret-value), so operators are never locked out mid-script.');
  ack(stack.secrets.cursorKey, 'SMG4', 'Rotating the cursor key only makes open pagination cursors start over; it is rotated by hand (put-secret-value) when wanted.');
  ack(stack.watchApi.api, 'APIG4', 'GET /healthz, /v1/openapi.json, /v1/event-types and the console (/, which redirects to it, /console, /console/, /console/{proxy+}) are public by design; every other route uses the team-token authorizer.');
}
