import { PublishBatchCommand, type MessageAttributeValue, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import { eventEmailText, eventHeadline, type WatchEvent } from '../../domain/events';
import { gradeMoveOf } from '../../domain/subscription';
import type { EventPublisher, PublishResult } from '../../domain/ports';

const SNS_BATCH_LIMIT = 10;

/**
 * Message attributes that SNS subscription filter policies match on, so email
 * subscriptions (and the delivery queue) can be scoped per team, watch,
 * resource type, changed field, status and how the grade moved.
 */
export function messageAttributes(event: WatchEvent): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    eventType: { DataType: 'String', StringValue: event.type },
    team: { DataType: 'String', StringValue: event.data.team },
    watchId: { DataType: 'String', StringValue: event.data.watchId },
    resourceType: { DataType: 'String', StringValue: event.data.resource.type },
  };
  const fields = event.data.changes.map((change) => change.field);
  if (fields.length > 0) attributes.changedFields = { DataType: 'String.Array', StringValue: JSON.stringify(fields) };
  const status = event.data.current?.status;
  if (status) attributes.status = { DataType: 'String', StringValue: status };
  // Only when the grade moved: `exists` in a filter then means "the grade changed".
  const gradeMove = gradeMoveOf(event);
  if (gradeMove) attributes.gradeMove = { DataType: 'String', StringValue: gradeMove };
  return attributes;
}

/** The SNS message: the CloudEvent for machines, readable text for email. */
export function snsEntry(event: WatchEvent, id: string): PublishBatchRequestEntry {
  return {
    Id: id,
    Subject: eventHeadline(event),
    MessageStructure: 'json',
    Message: JSON.stringify({ default: JSON.stringify(event), email: eventEmailText(event) }),
    MessageAttributes: messageAttributes(event),
  };
}

export class SnsPublisher implements EventPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(events: WatchEvent[]): Promise<PublishResult> {
    const failedIds: string[] = [];
    const errors: string[] = [];
    for (let start = 0; start < events.length; start += SNS_BATCH_LIMIT) {
      const batch = events.slice(start, start + SNS_BATCH_LIMIT);
      try {
        const result = await this.client.send(
          new PublishBatchCommand({
            TopicArn: this.topicArn,
            // Batch entry ids only need to be unique within the batch.
            PublishBatchRequestEntries: batch.map((event, index) => snsEntry(event, `e${index}`)),
          }),
        );
        for (const failure of result.Failed ?? []) {
          const event = batch[Number(failure.Id?.slice(1))];
          if (event) failedIds.push(event.id);
          errors.push(`${failure.Code ?? 'error'}: ${failure.Message ?? 'entry rejected'}`);
        }
      } catch (error) {
        // The whole batch failed; later batches may still go through.
        failedIds.push(...batch.map((event) => event.id));
        errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      }
    }
    return { failedIds, errors };
  }
}
