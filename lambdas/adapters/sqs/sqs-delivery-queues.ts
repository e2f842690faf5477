import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeadLetterSink, DeliveryRef, RetryScheduler } from '../../delivery/ports';
import type { DeliveryRecord, DigestRecord } from '../dynamo/delivery-store';

/** The longest delay SQS allows on one message. */
export const MAX_SQS_DELAY_SECONDS = 900;

export interface RetryMessage extends DeliveryRef {
  kind: 'retry';
}

/**
 * Retries travel as delayed messages on the delivery queue. Backoffs longer
 * than SQS's 15-minute limit are chained: the message wakes the delivery
 * function early, which sees the retry is not due yet and sends it back.
 */
export class SqsRetryScheduler implements RetryScheduler {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly now: () => Date,
  ) {}

  async schedule(ref: DeliveryRef, at: Date): Promise<void> {
    const seconds = Math.ceil((at.getTime() - this.now().getTime()) / 1000);
    const message: RetryMessage = { kind: 'retry', team: ref.team, subscriptionId: ref.subscriptionId, eventId: ref.eventId };
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.min(Math.max(seconds, 0), MAX_SQS_DELAY_SECONDS),
      }),
    );
  }
}

/** Deliveries whose retries are used up, kept on the dead-letter queue for an operator. */
export class SqsDeadLetters implements DeadLetterSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(record: DeliveryRecord | DigestRecord, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ kind: 'dead-delivery', reason, ...record }),
        MessageAttributes: {
          team: { DataType: 'String', StringValue: record.team },
          subscriptionId: { DataType: 'String', StringValue: record.subscriptionId },
        },
      }),
    );
  }
}
