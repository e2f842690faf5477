import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

/** One poller segment's share of one tick, as a message on the segment queue. */
export const SegmentMessageSchema = z.object({
  kind: z.literal('poll-segment'),
  segment: z.number().int().min(0),
  of: z.number().int().min(2),
  /** When the coordinator handed it out: a worker drops a message older than one interval (the next tick's covers it). */
  tick: z.string(),
});
export type SegmentMessage = z.infer<typeof SegmentMessageSchema>;

export interface FannedOut {
  segments: number;
  queued: number;
  failed: number;
}

const SQS_BATCH_LIMIT = 10;

/**
 * Hands each segment of this tick to a worker: one message per segment, ten
 * per SendMessageBatch. A segment whose message could not be sent this tick
 * is polled at the next (its resume position or sweep mark keeps what it
 * missed); the count is returned so it is logged and alarmed on.
 */
export async function fanOutTick(sqs: SQSClient, queueUrl: string, segments: number, now: Date): Promise<FannedOut> {
  const messages: SegmentMessage[] = Array.from({ length: segments }, (_, segment) => ({ kind: 'poll-segment', segment, of: segments, tick: now.toISOString() }));
  let queued = 0;
  let failed = 0;
  for (let start = 0; start < messages.length; start += SQS_BATCH_LIMIT) {
    const batch = messages.slice(start, start + SQS_BATCH_LIMIT);
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((message) => ({ Id: `s${message.segment}`, MessageBody: JSON.stringify(message) })),
        }),
      );
      queued += result.Successful?.length ?? 0;
      failed += result.Failed?.length ?? 0;
    } catch {
      failed += batch.length;
    }
  }
  return { segments, queued, failed };
}
