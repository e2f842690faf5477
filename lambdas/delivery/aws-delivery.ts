import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeliveryStore } from '../adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import { safePostJson } from '../adapters/http/safe-post';
import { testReceivers } from '../adapters/http/test-receivers';
import { SnsTeamNotices } from '../adapters/sns/sns-team-notices';
import { SqsDeadLetters, SqsRetryScheduler } from '../adapters/sqs/sqs-delivery-queues';
import { linkTemplates, requireSetting, type Env } from '../config';
import { webhookSecretsFromAws } from '../adapters/aws-wiring';
import type { Logger, SecretBox } from '../domain/ports';
import { POSTED_CHANNELS } from '../domain/subscription';
import { DeliveryService } from './delivery-service';

/** The delivery service as the AWS functions run it (delivery queue consumer and the API's test/redeliver). */
export function awsDeliveryService(env: Env, dynamo: DynamoDBClient, logger: Logger, options: { queues: boolean; secrets?: SecretBox } = { queues: true }): DeliveryService {
  const tableName = requireSetting(env, 'WATCHPOST_TABLE_NAME');
  const sqs = new SQSClient({});
  const now = () => new Date();
  // Loopback is never a destination in AWS; outside Lambda, test:aws's own receivers are (and nothing else).
  const testReceiver = testReceivers(env);
  return new DeliveryService({
    subscriptions: new SubscriptionStore(dynamo, tableName),
    deliveries: new DeliveryStore(dynamo, tableName),
    post: (url, body, headers) => safePostJson(url, body, headers, { timeoutMs: env.WATCHPOST_DELIVERY_TIMEOUT_MS, allowLoopback: testReceiver(url) }),
    retries: options.queues ? new SqsRetryScheduler(sqs, requireSetting(env, 'WATCHPOST_DELIVERY_QUEUE_URL'), now) : noQueue,
    deadLetters: options.queues ? new SqsDeadLetters(sqs, requireSetting(env, 'WATCHPOST_DEAD_LETTER_QUEUE_URL')) : noQueue,
    secrets: options.secrets ?? webhookSecretsFromAws(env),
    // SNS emails its subscribers itself.
    channels: [...POSTED_CHANNELS],
    links: linkTemplates(env),
    logger,
    now,
    disableAfterMs: env.WATCHPOST_DISABLE_AFTER_FAILING_HOURS * 3_600_000,
    // Only the queue consumer makes attempts that can disable a subscription.
    ...(options.queues ? { notices: new SnsTeamNotices(new SNSClient({}), requireSetting(env, 'WATCHPOST_TOPIC_ARN')) } : {}),
  });
}

/** For functions that deliver only immediately (the API) and so hold no queue permissions. */
const noQueue = {
  schedule: () => Promise.reject(new Error('this function does not schedule delivery retries')),
  send: () => Promise.reject(new Error('this function does not dead-letter deliveries')),
};
