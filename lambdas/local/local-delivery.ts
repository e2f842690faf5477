import { appendFile } from 'node:fs/promises';
import type { DeliveryRecord, DeliveryStore } from '../adapters/dynamo/delivery-store';
import type { DeliveryService } from '../delivery/delivery-service';
import type { DeadLetterSink, EmailSender, RetryScheduler } from '../delivery/ports';
import { eventEmailText, eventHeadline, type WatchEvent } from '../domain/events';
import type { Logger } from '../domain/ports';
import type { Subscription } from '../domain/subscription';

/** Email, locally: printed and appended to mail.log instead of sent. */
export class MailLogSender implements EmailSender {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void,
  ) {}

  async send(subscription: Subscription, event: WatchEvent): Promise<void> {
    const mail = [`To: ${subscription.address}`, `Subject: ${eventHeadline(event)}`, '', eventEmailText(event), '', '-----', ''].join('\n');
    await appendFile(this.file, mail, 'utf8');
    this.print(`[mail] to ${subscription.address}: ${eventHeadline(event)}`);
  }
}

export class JsonlDeadLetters implements DeadLetterSink {
  constructor(private readonly file: string) {}

  async send(record: DeliveryRecord, reason: string): Promise<void> {
    await appendFile(this.file, `${JSON.stringify({ reason, ...record })}\n`, 'utf8');
  }
}

/** Retries need no message locally: the stored record's nextAttemptAt is the schedule. */
export const storedRetries: RetryScheduler = { schedule: async () => undefined };

/**
 * Wakes every `intervalMs` and retries the deliveries that are due. Because
 * it reads the stored records, retries carry on across a restart.
 */
export function startRetryLoop(service: DeliveryService, deliveries: DeliveryStore, now: () => Date, logger: Logger, intervalMs = 1_000): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = (async () => {
      for (const record of await deliveries.due(now())) {
        await service.retry({ team: record.team, subscriptionId: record.subscriptionId, eventId: record.eventId });
      }
    })()
      .catch((error: unknown) => logger.error('retry loop failed', { error: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
