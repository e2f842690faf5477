import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { KmsSecretBox } from '../../lambdas/adapters/crypto/kms-secret-box';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { secretContext } from '../../lambdas/domain/subscription';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { stubLambdaEnv } from '../support/lambda-env';

let dynamo: LocalDynamo;
let tableName: string;
const sqs = mockClient(SQSClient);
const kms = mockClient(KMSClient);
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0b9c1a52-0000-4000-8000-000000000001';

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  tableName = await dynamo.newTable();
  // An https receiver on a documentation address: the handler must refuse it at delivery time
  // (it is not reachable here), and schedule a retry rather than fail the message.
  // KMS has no local server: its two calls are mocked, and the secret is sealed as the API would.
  const dataKey = randomBytes(32);
  kms.on(GenerateDataKeyCommand).resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: Buffer.from('wrapped-data-key') });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => {
    if (Buffer.from(input.CiphertextBlob).toString() !== 'wrapped-data-key') throw new Error('not our data key');
    return { Plaintext: Uint8Array.from(dataKey) };
  });
  const subscription = { id: 'sub_1', team: 'team-a', channel: 'webhook' as const, url: 'https://192.0.2.10/hook', filter: null, status: 'active' as const, createdAt: '2026-11-23T00:00:00Z' };
  const sealed = await new KmsSecretBox(new KMSClient({ region: 'eu-west-1' }), KEY_ARN).seal('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', secretContext(subscription));
  await new SubscriptionStore(dynamo.client, tableName).put({ ...subscription, secret: sealed });
  sqs.on(SendMessageCommand).resolves({});
  stubLambdaEnv(dynamo.endpoint, {
    WATCHPOST_SECRETS_KEY_ARN: KEY_ARN,
    WATCHPOST_TABLE_NAME: tableName,
    WATCHPOST_DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/delivery',
    WATCHPOST_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq',
    WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:changes',
  });
});
afterAll(async () => {
  sqs.restore();
  kms.restore();
  vi.unstubAllEnvs();
  await dynamo.close();
});

describe('delivery Lambda handler', () => {
  it('refuses a non-public receiver, schedules the retry on its own queue, and fails no message', async () => {
    const { handler } = await import('../../lambdas/delivery/handler');
    const event = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'ds_1' } },
      version: 1, time: new Date(), type: EVENT_TYPES.changed, previous: null, current: null,
    });
    const sqsEvent = { Records: [{ messageId: 'm1', body: JSON.stringify(event) }] } as unknown as SQSEvent;

    const response = await handler(sqsEvent);

    expect(response.batchItemFailures).toEqual([]);
    const retry = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(retry?.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/delivery');
    expect(retry?.DelaySeconds).toBeGreaterThanOrEqual(4);
    expect(JSON.parse(retry?.MessageBody ?? '{}')).toEqual({ kind: 'retry', team: 'team-a', subscriptionId: 'sub_1', eventId: event.id });
    const [attempt] = await new DeliveryStore(dynamo.client, tableName).recentAttempts('sub_1');
    expect(attempt?.error).toBe('refused: 192.0.2.10 is not a public address');
    // The secret was opened under its subscription's context before signing.
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual({ team: 'team-a', subscription: 'sub_1' });
  });
});
