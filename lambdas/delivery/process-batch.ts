import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { forEachBounded } from '../domain/concurrency';
import type { WatchEvent } from '../domain/events';
import type { Logger } from '../domain/ports';
import { NOTICE_TYPES } from '../domain/subscription-notice';
import type { DeliveryService } from './delivery-service';

const RetryMessageSchema = z.object({ kind: z.literal('retry'), team: z.string(), subscriptionId: z.string(), eventId: z.string() });
const NoticeSchema = z.object({ specversion: z.literal('1.0'), type: z.enum(Object.values(NOTICE_TYPES)) }).loose();
const CloudEventSchema = z.object({ specversion: z.literal('1.0'), id: z.string(), type: z.string(), data: z.object({ team: z.string(), watchId: z.string() }).loose() }).loose();

/**
 * One SQS batch: change events from the topic (raw delivery, so the body is
 * the CloudEvent) and delayed retry messages. Reports the messages that
 * failed so SQS redelivers only those; a message that keeps failing reaches
 * the queue's dead-letter queue after its receive limit.
 */
export async function processDeliveryBatch(service: DeliveryService, event: SQSEvent, logger: Logger, options: { signal?: AbortSignal } = {}): Promise<SQSBatchResponse> {
  const { signal } = options;
  const failures: string[] = [];
  const subscriptionsOf = service.subscriptionsPerTeam();
  await forEachBounded(event.Records, 4, async (record) => {
    if (signal?.aborted) {
      // Not started before the function's time ran short: SQS brings it back, whole.
      failures.push(record.messageId);
      return;
    }
    try {
      const body: unknown = JSON.parse(record.body);
      const retry = RetryMessageSchema.safeParse(body);
      if (retry.success) return await service.retry(retry.data);
      // Notices are for email subscribers; the queue's subscription refuses them, and one that slips through is not an error.
      if (NoticeSchema.safeParse(body).success) return;
      const cloudEvent = CloudEventSchema.safeParse(body);
      if (cloudEvent.success) return await service.deliverEvent(cloudEvent.data as unknown as WatchEvent, subscriptionsOf, { signal });
      throw new Error('message is neither a Watchpost CloudEvent nor a retry');
    } catch (error) {
      logger.error('delivery message failed; SQS will redeliver it', { messageId: record.messageId, error: error instanceof Error ? error.message : String(error) });
      failures.push(record.messageId);
    }
  });
  if (signal?.aborted && failures.length > 0) logger.warn('time ran short; unstarted deliveries go back to the queue', { messages: failures.length });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
