import type { DeliveryRecord, DigestRecord } from '../adapters/dynamo/delivery-store';
import type { PostResult } from '../adapters/http/safe-post';
import type { WatchEvent } from '../domain/events';
import type { Subscription } from '../domain/subscription';
import type { SubscriptionDisabledNotice } from '../domain/subscription-notice';

export interface DeliveryRef {
  team: string;
  subscriptionId: string;
  eventId: string;
}

/** Brings a pending delivery back at (or after) a given time. */
export interface RetryScheduler {
  schedule(ref: DeliveryRef, at: Date): Promise<void>;
}

/** Where deliveries go once their retries are used up. */
export interface DeadLetterSink {
  send(record: DeliveryRecord | DigestRecord, reason: string): Promise<void>;
}

/** POSTs JSON to a receiver (SSRF-guarded in production). */
export type JsonPoster = (url: string, body: string, headers: Record<string, string>) => Promise<PostResult>;

/** Sends an email notification itself (local runtime); in AWS, SNS emails subscribers directly. */
export interface EmailSender {
  send(subscription: Subscription, event: WatchEvent): Promise<void>;
}

/**
 * Tells a team about its subscriptions (one disabled, say) through its email
 * subscriptions: in AWS a message on the topic that every email filter
 * policy lets through for its team; locally the mail log.
 */
export interface TeamNotices {
  subscriptionDisabled(notice: SubscriptionDisabledNotice): Promise<void>;
}
