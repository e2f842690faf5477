import { appendFile } from 'node:fs/promises';
import type { DeliveryRecord, DeliveryStore, DigestRecord } from '../adapters/dynamo/delivery-store';
import type { DeliveryService } from '../delivery/delivery-service';
import type { AttemptLanes } from '../delivery/delivery-service';
import type { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import type { DeadLetterSink, EmailSender, RetryScheduler, TeamNotices } from '../delivery/ports';
import { eventEmailText, eventHeadline, type WatchEvent } from '../domain/events';
import type { Logger } from '../domain/ports';
import { isDeliverable, type Subscription } from '../domain/subscription';
import { noticeEmailText, noticeHeadline, type SubscriptionDisabledNotice } from '../domain/subscription-notice';

/** Email, locally: printed and appended to mail.log instead of sent. */
export class MailLogSender implements EmailSender {
  constructor(
    private readonly file: string,
    private readonly print: (line: string) => void,
  ) {}

  async send(subscription: Subscription, event: WatchEvent): Promise<void> {
    await this.mail(subscription.address ?? '', eventHeadline(event), eventEmailText(event));
  }

  async mail(to: string, subject: string, text: string): Promise<void> {
    await appendFile(this.file, [`To: ${to}`, `Subject: ${subject}`, '', text, '', '-----', ''].join('\n'), { encoding: 'utf8', mode: 0o600 });
    this.print(`[mail] to ${to}: ${subject}`);
  }
}

/** Notices, locally: mailed (to the mail log) to each email subscription of the team that receives mail now. */
export class MailLogNotices implements TeamNotices {
  constructor(
    private readonly subscriptions: Pick<SubscriptionStore, 'all'>,
    private readonly mail: MailLogSender,
  ) {}

  async subscriptionDisabled(notice: SubscriptionDisabledNotice): Promise<void> {
    const recipients = (await this.subscriptions.all(notice.data.team)).filter((subscription) => subscription.channel === 'email' && isDeliverable(subscription));
    for (const recipient of recipients) await this.mail.mail(recipient.address ?? '', noticeHeadline(notice), noticeEmailText(notice));
  }
}

export class JsonlDeadLetters implements DeadLetterSink {
  constructor(private readonly file: string) {}

  async send(record: DeliveryRecord | DigestRecord, reason: string): Promise<void> {
    await appendFile(this.file, `${JSON.stringify({ reason, ...record })}\n`, { encoding: 'utf8', mode: 0o600 });
  }
}

/** Retries need no message locally: the stored record's nextAttemptAt is the schedule. */
export const storedRetries: RetryScheduler = { schedule: async () => undefined };

/**
 * Local delivery runs beside the poller, never inside it: each subscription
 * has a lane in which its attempts run one after another, and the lanes run
 * side by side. A receiver that hangs holds up its own lane only. `idle`
 * waits for everything in flight (for a clean stop).
 */
export class SubscriptionLanes implements AttemptLanes {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  run(key: string, task: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(task).catch((error: unknown) =>
      this.logger.error('local delivery failed', { subscriptionId: key, error: error instanceof Error ? error.message : String(error) }),
    );
    this.tails.set(key, next);
    return this.track(next.finally(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }));
  }

  /** Starts work that nobody awaits, kept so that `idle` can wait for it. */
  track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => this.logger.error('local delivery failed', { error: error instanceof Error ? error.message : String(error) }));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}

/**
 * Wakes every `intervalMs` and starts the deliveries that are due, without
 * waiting for them (each takes its lease first, so one found due twice is
 * still sent once). Because it reads the stored records, retries carry on
 * across a restart.
 */
export function startRetryLoop(service: DeliveryService, deliveries: DeliveryStore, lanes: SubscriptionLanes, now: () => Date, logger: Logger, intervalMs = 1_000): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (stopped || running) return;
    running = (async () => {
      for (const record of await deliveries.due(now())) {
        void lanes.track(service.retry({ team: record.team, subscriptionId: record.subscriptionId, eventId: record.eventId }));
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
