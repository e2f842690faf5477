import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { WatchEvent } from '../../domain/events';
import { emptyBucket, hourOf, latencyBin, slotOf } from '../../domain/delivery-figures';
import { subscriptionKey } from './keys';

/** The subscription item's attributes that hold its hourly delivery buckets: `deliveryHour0` to `deliveryHour23`. */
export const BUCKET_ATTRIBUTE = 'deliveryHour';

/**
 * `batched`: an event waiting in a digest (the digest's record carries the
 * attempts); `skipped`: a retry came due while the subscription was paused
 * and was dropped, as a pause drops what happens during it (nothing was
 * sent); the others as for any delivery.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'abandoned' | 'batched' | 'skipped';

/**
 * What one attempt came to, decided by the delivery path from the outcome's
 * `ok` (a mail handed on is delivered with no HTTP status at all).
 * `skipped`: nothing was sent (the subscription was paused, disabled or
 * deleted when the attempt came due); it is neither a success nor a failure
 * and counts toward nothing.
 */
export type AttemptResult = 'delivered' | 'failed' | 'skipped';

/** One event owed to one subscription. */
export interface DeliveryRecord {
  team: string;
  subscriptionId: string;
  eventId: string;
  event: WatchEvent;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  /** A `batched` event: the key of the digest it goes out in (see DigestRecord). */
  digestKey?: string | undefined;
}

/** What an attempt needs of the record it is about: an event's or a digest's. */
export type AttemptTarget = Pick<DeliveryRecord, 'team' | 'subscriptionId' | 'eventId' | 'attempts'>;

/**
 * One digest of a subscription: the events of one period (or one quiet
 * window), sent as one message. Kept like an event's delivery record (same
 * partition, same retry fields, `eventId` its key `digest_<releaseAt>`), so
 * the retry machinery carries it unchanged. `eventIds` grows as events come,
 * until `frozenAt`: from then on it is what every attempt sends.
 */
export interface DigestRecord {
  team: string;
  subscriptionId: string;
  eventId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  releaseAt: string;
  eventIds: string[];
  frozenAt: string | null;
}

export const DIGEST_PREFIX = 'digest_';
export const digestKey = (releaseAt: Date) => `${DIGEST_PREFIX}${releaseAt.toISOString()}`;
export const isDigestKey = (eventId: string) => eventId.startsWith(DIGEST_PREFIX);

export interface AttemptLog {
  at: string;
  eventId: string;
  attempt: number;
  result: AttemptResult;
  /** The receiver's HTTP status; null when there was none (a mail, a refused connection, a skip). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The event's watch and what it said (see eventSentence), kept with the attempt so a list of attempts reads without the events. */
  watchId?: string | null | undefined;
  summary?: string | null | undefined;
}

/** Since when every delivery to a subscription has failed; null when the last one succeeded. */
export interface FailureRun {
  failingSince: string | null;
}

const DAY_SECONDS = 86_400;
const subPk = (subscriptionId: string) => `SUB#${subscriptionId}`;

/**
 * Delivery state: a record per (subscription, event), keyed so that a
 * redelivered queue message finds the record it created before; an attempt
 * log per subscription (newest first, 30 days); and counters on the
 * subscription item itself.
 */
export class DeliveryStore {
  /** The hour each (subscription, bucket) was last counted for, as this process saw it. */
  private readonly currentHours = new Map<string, number>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionDays = 30,
  ) {}

  /** Creates the record unless it exists; returns the record that now stands. */
  async createIfAbsent(record: DeliveryRecord, now: Date): Promise<{ record: DeliveryRecord; created: boolean }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...this.keyOf(record.subscriptionId, record.eventId), ...toItem(record), expiresAt: this.expiry(now) }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { record, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(record.subscriptionId, record.eventId);
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  async get(subscriptionId: string, eventId: string): Promise<DeliveryRecord | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(this.keyOf(subscriptionId, eventId)), ConsistentRead: true }),
    );
    return result.Item ? fromItem(unmarshall(result.Item)) : undefined;
  }

  /**
   * Takes the lease on a pending delivery's next attempt: pushes its due time
   * to `until`, if it is still pending at `attempts` and due by `now`. Of two
   * processes (a retry sweep and a slow attempt, or a redelivered batch) only
   * one gets it, so a receiver is never sent the same attempt twice. A
   * process that dies holding it leaves the attempt due again at `until`.
   */
  async claim(record: AttemptTarget, now: Date, until: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(this.keyOf(record.subscriptionId, record.eventId)),
          UpdateExpression: 'SET nextAttemptAt = :until',
          ConditionExpression: '#status = :pending AND attempts = :attempts AND nextAttemptAt <= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':until': until.toISOString(), ':pending': 'pending', ':attempts': record.attempts, ':now': now.toISOString() }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Records an attempt: the record's new state, the attempt log, the
   * subscription's counters. Returns since when the subscription's deliveries
   * have all been failing (null after a success).
   */
  async recordAttempt(record: AttemptTarget, log: AttemptLog, next: Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAttemptAt'>, now: Date): Promise<FailureRun> {
    await this.setState(record, next);
    return this.logAttempt(record.team, record.subscriptionId, log, now);
  }

  /** Moves the record to its next state without logging an attempt (one stopped before it was made). */
  async setState(record: AttemptTarget, next: Pick<DeliveryRecord, 'status' | 'attempts' | 'nextAttemptAt'>): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(this.keyOf(record.subscriptionId, record.eventId)),
        UpdateExpression: 'SET #status = :status, attempts = :attempts, nextAttemptAt = :next',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':status': next.status, ':attempts': next.attempts, ':next': next.nextAttemptAt }),
      }),
    );
  }

  /**
   * Appends to the attempt log and bumps the subscription's counters: a
   * failure starts the run of failures (`failingSince`) unless one is under
   * way, a success ends it. One update, so the run needs no extra write.
   * A skipped attempt is logged and counted nowhere: it says nothing about
   * the receiver, so its run is reported as none.
   */
  async logAttempt(team: string, subscriptionId: string, log: AttemptLog, now: Date): Promise<FailureRun> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: subPk(subscriptionId), sk: `ATTEMPT#${log.at}#${log.eventId}#${log.attempt}`, ...log, expiresAt: this.expiry(now) }, { removeUndefinedValues: true }),
      }),
    );
    if (log.result === 'skipped') return { failingSince: null };
    const key = marshall(subscriptionKey(team, subscriptionId));
    const succeeded = log.result === 'delivered';
    const hour = hourOf(new Date(log.at));
    const bucket = `${BUCKET_ATTRIBUTE}${slotOf(hour)}`;
    // Sent and answered (or handed on): its latency is the receiver's; a refused connection has none worth counting.
    const bin = succeeded || log.statusCode !== null ? latencyBin(log.latencyMs) : undefined;
    const counters = succeeded
      ? { add: ['deliveredCount :one'], set: ['lastSuccessAt = :at'], remove: ['failingSince'] }
      : { add: ['failedCount :one'], set: ['lastFailureAt = :at', 'failingSince = if_not_exists(failingSince, :at)'], remove: [] };
    const count = succeeded ? 'delivered' : 'failed';
    const fresh = emptyBucket(hour);
    fresh[count] = 1;
    if (bin !== undefined) fresh.latency[bin] = 1;
    // The bucket of this hour is counted into; one of an older hour (or none) is started afresh; an
    // attempt logged after its bucket moved on to a newer hour (a day late) keeps only the totals.
    const plans: Array<{ set: string[]; condition: string; values: Record<string, unknown> }> = [
      {
        set: [`#bucket.#count = #bucket.#count + :one`, ...(bin === undefined ? [] : [`#bucket.latency[${bin}] = #bucket.latency[${bin}] + :one`])],
        condition: 'attribute_exists(pk) AND #bucket.#hour = :hour',
        values: { ':hour': hour },
      },
      { set: ['#bucket = :fresh'], condition: 'attribute_exists(pk) AND (attribute_not_exists(#bucket) OR #bucket.#hour < :hour)', values: { ':hour': hour, ':fresh': fresh } },
    ];
    // Which bucket is current was seen by this process before, or not: the likelier plan goes first, so an
    // attempt costs one write (a new bucket is what a process meets first). A second writer may start the
    // bucket between the two: then it is counted into after all.
    const known = this.currentHours.get(`${subscriptionId}#${bucket}`) === hour;
    const [likely, other] = known ? [plans[0]!, plans[1]!] : [plans[1]!, plans[0]!];
    const attempts = [likely, other, plans[0]!, { set: [], condition: 'attribute_exists(pk)', values: {} }];
    for (const plan of attempts) {
      const usesBucket = plan.set.length > 0;
      try {
        const result = await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: [`ADD ${counters.add.join(', ')}`, `SET ${[...counters.set, ...plan.set].join(', ')}`, ...(counters.remove.length > 0 ? [`REMOVE ${counters.remove.join(', ')}`] : [])].join(' '),
            ConditionExpression: plan.condition,
            ...(usesBucket ? { ExpressionAttributeNames: { '#bucket': bucket, '#hour': 'hour', ...(plan.set[0]?.includes('#count') ? { '#count': count } : {}) } } : {}),
            ExpressionAttributeValues: marshall({ ':one': 1, ':at': log.at, ...plan.values }),
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        if (usesBucket) this.remember(`${subscriptionId}#${bucket}`, hour);
        return { failingSince: result.Attributes?.failingSince?.S ?? null };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // The subscription was deleted meanwhile: nothing to count.
    return { failingSince: null };
  }

  /**
   * Adds an event to the subscription's digest due at `releaseAt`, creating
   * the digest with its first event. One conditional update of one item, so
   * it is atomic with the freeze: an event either makes it into the digest
   * before it is frozen, or is told it came too late (`frozen`) and goes to
   * the next one. Adding an id twice (a queue message seen twice) adds it once.
   */
  async addToDigest(target: { team: string; subscriptionId: string }, releaseAt: Date, eventId: string, now: Date): Promise<{ created: boolean; frozen: boolean }> {
    const key = digestKey(releaseAt);
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(this.keyOf(target.subscriptionId, key)),
          UpdateExpression:
            'ADD eventIds :ids SET team = if_not_exists(team, :team), subscriptionId = if_not_exists(subscriptionId, :sub), eventId = if_not_exists(eventId, :key), ' +
            '#status = if_not_exists(#status, :pending), attempts = if_not_exists(attempts, :zero), nextAttemptAt = if_not_exists(nextAttemptAt, :release), ' +
            'releaseAt = if_not_exists(releaseAt, :release), createdAt = if_not_exists(createdAt, :now), expiresAt = if_not_exists(expiresAt, :expires)',
          ConditionExpression: 'attribute_not_exists(frozenAt)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...marshall({
              ':team': target.team,
              ':sub': target.subscriptionId,
              ':key': key,
              ':pending': 'pending',
              ':zero': 0,
              ':release': releaseAt.toISOString(),
              ':now': now.toISOString(),
              ':expires': this.expiry(now),
            }),
            ':ids': { SS: [eventId] },
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return { created: !result.Attributes?.eventId, frozen: false };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { created: false, frozen: true };
      throw error;
    }
  }

  /** Moves a batched event to another digest (it came after its own was frozen). */
  async setDigestKey(record: AttemptTarget, key: string): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(this.keyOf(record.subscriptionId, record.eventId)),
        UpdateExpression: 'SET digestKey = :key',
        ExpressionAttributeValues: marshall({ ':key': key }),
      }),
    );
  }

  async getDigest(subscriptionId: string, key: string): Promise<DigestRecord | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(this.keyOf(subscriptionId, key)), ConsistentRead: true }));
    return result.Item ? digestFromItem(unmarshall(result.Item)) : undefined;
  }

  /**
   * Closes the digest to new events and answers what it holds, in one
   * atomic update: every later attempt sends exactly these. A digest already
   * frozen answers as it stands.
   */
  async freezeDigest(subscriptionId: string, key: string, now: Date): Promise<DigestRecord> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(this.keyOf(subscriptionId, key)),
          UpdateExpression: 'SET frozenAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(frozenAt)',
          ExpressionAttributeValues: marshall({ ':now': now.toISOString() }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return digestFromItem(unmarshall(result.Attributes ?? {}));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getDigest(subscriptionId, key);
      if (!existing) throw error;
      return existing;
    }
  }

  async recentAttempts(subscriptionId: string, limit = 20): Promise<AttemptLog[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': subPk(subscriptionId), ':prefix': 'ATTEMPT#' }),
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => {
      const { at, eventId, attempt, result: stored, statusCode, latencyMs, error, watchId, summary } = unmarshall(item);
      return {
        at,
        eventId,
        attempt,
        result: (stored as AttemptResult | undefined) ?? legacyResult(statusCode ?? null, error ?? null),
        statusCode: statusCode ?? null,
        latencyMs,
        error: error ?? null,
        watchId: watchId ?? null,
        summary: summary ?? null,
      };
    });
  }

  /**
   * When the subscription's next scheduled retry is due: the earliest pending
   * delivery that has been tried before; null when none waits. A Query of
   * the subscription's own partition (its records expire after 30 days).
   */
  async nextRetryAt(subscriptionId: string): Promise<string | null> {
    let earliest: string | null = null;
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#status = :pending AND attempts > :none',
          ProjectionExpression: 'nextAttemptAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':pk': subPk(subscriptionId), ':prefix': 'DELIVERY#', ':pending': 'pending', ':none': 0 }),
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const at = unmarshall(item).nextAttemptAt as string | null | undefined;
        if (at && (earliest === null || at < earliest)) earliest = at;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return earliest;
  }

  /**
   * Pending deliveries due by `now`. A Scan: used by the local runtime's retry
   * loop only; in AWS retries travel as delayed SQS messages instead.
   */
  async due(now: Date, limit = 100): Promise<Array<DeliveryRecord | DigestRecord>> {
    const found: Array<DeliveryRecord | DigestRecord> = [];
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(sk, :prefix) AND #status = :pending AND nextAttemptAt <= :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({ ':prefix': 'DELIVERY#', ':pending': 'pending', ':now': now.toISOString() }),
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...(page.Items ?? []).map((item) => unmarshall(item)).map((item) => (isDigestKey(String(item.eventId)) ? digestFromItem(item) : fromItem(item))));
      startKey = page.LastEvaluatedKey;
    } while (startKey && found.length < limit);
    return found.slice(0, limit);
  }

  /** Bounded: a process that delivers for very many subscriptions forgets, and pays a second write now and then. */
  private remember(key: string, hour: number): void {
    if (this.currentHours.size >= 10_000) this.currentHours.clear();
    this.currentHours.set(key, hour);
  }

  private keyOf(subscriptionId: string, eventId: string) {
    return { pk: subPk(subscriptionId), sk: `DELIVERY#${eventId}` };
  }

  private expiry(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.retentionDays * DAY_SECONDS;
  }
}

/**
 * What an attempt logged before results were recorded came to: a 2xx answer,
 * or no answer and no error (a mail handed on), was delivered.
 */
export function legacyResult(statusCode: number | null, error: string | null): AttemptResult {
  if (statusCode === null) return error === null ? 'delivered' : 'failed';
  return statusCode >= 200 && statusCode < 300 ? 'delivered' : 'failed';
}

function toItem(record: DeliveryRecord): Record<string, unknown> {
  return { ...record, event: JSON.stringify(record.event) };
}

function digestFromItem(item: Record<string, unknown>): DigestRecord {
  return {
    team: item.team as string,
    subscriptionId: item.subscriptionId as string,
    eventId: item.eventId as string,
    status: item.status as DeliveryStatus,
    attempts: Number(item.attempts),
    nextAttemptAt: (item.nextAttemptAt as string | null) ?? null,
    createdAt: item.createdAt as string,
    releaseAt: item.releaseAt as string,
    // A string set comes back as a Set; sorted, so every reading of one digest lists it alike.
    eventIds: [...((item.eventIds as Set<string> | undefined) ?? [])].sort(),
    frozenAt: (item.frozenAt as string | undefined) ?? null,
  };
}

function fromItem(item: Record<string, unknown>): DeliveryRecord {
  return {
    team: item.team as string,
    subscriptionId: item.subscriptionId as string,
    eventId: item.eventId as string,
    event: JSON.parse(item.event as string) as WatchEvent,
    status: item.status as DeliveryStatus,
    attempts: Number(item.attempts),
    nextAttemptAt: (item.nextAttemptAt as string | null) ?? null,
    createdAt: item.createdAt as string,
    ...(item.digestKey ? { digestKey: item.digestKey as string } : {}),
  };
}
