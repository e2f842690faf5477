import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SubscriptionFilter, type Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NOTICE_TYPES } from '../../lambdas/domain/subscription-notice';
import { NodeFunction } from './node-function';
import type { WatchpostSecrets } from './secrets';
import type { WatchStore } from './watch-store';

export interface DeliveryProps {
  readonly store: WatchStore;
  readonly topic: Topic;
  /** Opens webhook signing secrets to sign deliveries. */
  readonly secrets: WatchpostSecrets;
  /** The event source's maximum concurrency (watchpost:deliveryMaxConcurrency). */
  readonly maxConcurrency: number;
}

const FUNCTION_TIMEOUT = Duration.seconds(60);

/**
 * Slack and webhook delivery: the topic fans out to a queue (raw messages,
 * so each body is the CloudEvent); the delivery function consumes it with
 * partial batch responses. Retries are delayed messages on the same queue
 * (chained past SQS's 15-minute limit for the long backoffs); deliveries
 * whose retries run out, and messages that keep failing, land in the
 * dead-letter queue.
 */
export class Delivery extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly function: LambdaFunction;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as Lambda recommends for SQS sources.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    props.topic.addSubscription(
      new SqsSubscription(this.queue, {
        rawMessageDelivery: true,
        // Notices about a team's subscriptions are for its email subscribers only, never Slack or webhooks.
        filterPolicy: { eventType: SubscriptionFilter.stringFilter({ denylist: Object.values(NOTICE_TYPES) }) },
      }),
    );

    this.function = new NodeFunction(this, 'Deliverer', {
      entry: 'delivery/handler.ts',
      serviceName: 'watchpost-delivery',
      description: 'Delivers change events to Slack and webhooks',
      timeout: FUNCTION_TIMEOUT,
    }).function;
    props.store.bind(this.function, ['GetItem', 'PutItem', 'UpdateItem', 'Query']);
    props.secrets.bindWebhookSecretsKey(this.function, 'open');
    this.function.addEnvironment('WATCHPOST_DELIVERY_QUEUE_URL', this.queue.queueUrl);
    this.function.addEnvironment('WATCHPOST_DEAD_LETTER_QUEUE_URL', this.deadLetterQueue.queueUrl);
    // Tells a team, through its email subscriptions, that one of its endpoints was disabled.
    this.function.addEnvironment('WATCHPOST_TOPIC_ARN', props.topic.topicArn);
    props.topic.grantPublish(this.function);
    this.queue.grantSendMessages(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxBatchingWindow: Duration.seconds(1), maxConcurrency: props.maxConcurrency }),
    );
  }
}
