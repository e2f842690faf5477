import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { digestKey, isDigestKey, type AttemptLog, type AttemptTarget, type DeliveryRecord, type DeliveryStore, type DigestRecord } from '../adapters/dynamo/delivery-store';
import type { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import type { PostResult } from '../adapters/http/safe-post';
import { forEachBounded } from '../domain/concurrency';
import { retryDelayMs } from '../domain/delivery-schedule';
import { CLOUDEVENTS_BATCH_CONTENT_TYPE, cloudEventsBatch, digestId, digestRelease, periodEnd } from '../domain/digest';
import { holdUntil } from '../domain/quiet-hours';
import { eventSentence } from '../domain/event-sentence';
import { buildWatchEvent, EVENT_TYPES, type WatchEvent } from '../domain/events';
import type { Logger, SecretBox } from '../domain/ports';
import { chatDigest, chatMessage } from '../domain/chat-message';
import { readDiscordRefusal } from '../domain/discord-message';
import type { ResourceLinkTemplates } from '../domain/slack-message';
import { isDeliverable, matchesSubscription, secretContext, type Channel, type Subscription } from '../domain/subscription';
import { buildDisabledNotice, type DisabledReason } from '../domain/subscription-notice';
import type { DeadLetterSink, DeliveryRef, EmailSender, JsonPoster, RetryScheduler, TeamNotices } from './ports';

export interface DeliveryDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  post: JsonPoster;
  retries: RetryScheduler;
  deadLetters: DeadLetterSink;
  /** Opens webhook subscriptions' sealed signing secrets. */
  secrets: SecretBox;
  /** Channels this process delivers itself. In AWS: slack, teams, discord and webhook (SNS emails directly). */
  channels: Channel[];
  email?: EmailSender | undefined;
  links: ResourceLinkTemplates;
  logger: Logger;
  now: () => Date;
  random?: () => number;
  /**
   * How long an attempt holds its lease (see DeliveryStore.claim): longer
   * than a POST can take. @default 60 s
   */
  leaseMs?: number;
  /**
   * Where attempts run. By default at once; the local runtime passes
   * per-subscription lanes, so one slow receiver holds up only itself.
   */
  lanes?: AttemptLanes;
  /**
   * A webhook or Slack subscription whose deliveries have all failed for this
   * long is disabled, as Svix does. @default 5 days
   */
  disableAfterMs?: number;
  /** Tells a team that one of its subscriptions was disabled (its email subscriptions). */
  notices?: TeamNotices | undefined;
}

/** Runs tasks one after another per key, keys side by side. */
export interface AttemptLanes {
  run(key: string, task: () => Promise<void>): Promise<void>;
}

/** Time ran short before every subscription of an event was tried. */
export class DeliveryCutShort extends Error {
  constructor(readonly unstarted: number) {
    super(`time ran short before ${unstarted} subscription(s) were tried; the message is retried`);
    this.name = 'DeliveryCutShort';
  }
}

/** How long deliveries may fail without a break before the subscription is disabled. */
export const DEFAULT_DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

/** A retry may wake this much before it is due (queues and timers are not exact). */
const EARLY_WAKE_MS = 1_000;

/** What an attempt came to, as the API shows it. */
export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/**
 * Delivers change events to a team's Slack and webhook subscriptions, once
 * per (subscription, event), retrying failures on the Standard Webhooks
 * schedule and dead-lettering what never gets through.
 */
export class DeliveryService {
  private readonly random: () => number;

  constructor(private readonly deps: DeliveryDeps) {
    this.random = deps.random ?? Math.random;
  }

  /**
   * A loader of team subscriptions that reads each team once: for a batch of
   * events, most of which usually belong to a few teams.
   */
  subscriptionsPerTeam(): (team: string) => Promise<Subscription[]> {
    const loaded = new Map<string, Promise<Subscription[]>>();
    return (team) => {
      let subscriptions = loaded.get(team);
      if (!subscriptions) {
        subscriptions = this.deps.subscriptions.all(team);
        loaded.set(team, subscriptions);
      }
      return subscriptions;
    };
  }

  /** Fans an event out to every matching subscription of its team and tries each at once. */
  async deliverEvent(
    event: WatchEvent,
    subscriptionsOf: (team: string) => Promise<Subscription[]> = (team) => this.deps.subscriptions.all(team),
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<void> {
    const { deps } = this;
    let unstarted = 0;
    const targets = (await subscriptionsOf(event.data.team)).filter(
      (subscription) => isDeliverable(subscription) && deps.channels.includes(subscription.channel) && matchesSubscription(event, subscription),
    );
    await forEachBounded(targets, 8, async (subscription) => {
      if (options.signal?.aborted) {
        unstarted += 1;
        return;
      }
      const record = await this.recordDelivery(subscription, event);
      if (!record) return;
      await this.dispatch(subscription.id, () => this.attempt(subscription, record, () => this.send(subscription, event)));
    });
    // The message comes back; what was delivered or is in flight (leased) is not sent again.
    if (unstarted > 0) throw new DeliveryCutShort(unstarted);
  }

  /**
   * Writes what one subscription owes for an event, and answers the record
   * to attempt now, if any. Held for quiet hours, the record is written due
   * at the window's end (holding costs no write of its own) and its wake-up
   * scheduled; for a digest, the event joins its period's digest. A queue
   * message seen twice must not deliver twice: only a fresh record, or one
   * whose attempt is due and was never made, is answered.
   */
  private async recordDelivery(subscription: Subscription, event: WatchEvent): Promise<DeliveryRecord | undefined> {
    const { deps } = this;
    const now = deps.now();
    const release = digestRelease(subscription, event, now);
    if (release) {
      await this.addToDigest(subscription, event, release, now);
      return undefined;
    }
    const heldUntil = holdUntil(subscription.quietHours, event, now);
    const { record, created } = await deps.deliveries.createIfAbsent(
      {
        team: subscription.team,
        subscriptionId: subscription.id,
        eventId: event.id,
        event,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: (heldUntil ?? now).toISOString(),
        createdAt: now.toISOString(),
      },
      now,
    );
    if (!created && (record.status !== 'pending' || record.attempts > 0)) return undefined;
    if (record.nextAttemptAt && Date.parse(record.nextAttemptAt) > now.getTime() + EARLY_WAKE_MS) {
      // Held: the retry machinery brings it back when the window ends. Scheduled again when
      // the message comes twice, in case the first time died between the write and this.
      await deps.retries.schedule(refOf(record), new Date(record.nextAttemptAt));
      return undefined;
    }
    return record;
  }

  /**
   * Records a pending delivery of `event` for every matching subscription,
   * durably, and returns what starts their first attempts. Once this has
   * resolved nothing is lost however the process ends: a record never tried
   * is due, and the retry loop (which reads the stored records) sends it.
   * The local runtime awaits this before a publish counts as done, so before
   * the outbox is cleared.
   */
  async recordDeliveries(event: WatchEvent, subscriptionsOf: (team: string) => Promise<Subscription[]> = (team) => this.deps.subscriptions.all(team)): Promise<() => Promise<void>> {
    const { deps } = this;
    const targets = (await subscriptionsOf(event.data.team)).filter(
      (subscription) => isDeliverable(subscription) && deps.channels.includes(subscription.channel) && matchesSubscription(event, subscription),
    );
    const fresh: Array<{ subscription: Subscription; record: DeliveryRecord }> = [];
    await forEachBounded(targets, 8, async (subscription) => {
      // The same rule as deliverEvent: an event published twice is attempted once; held and batched ones wait.
      const record = await this.recordDelivery(subscription, event);
      if (record) fresh.push({ subscription, record });
    });
    return async () => {
      await Promise.all(fresh.map(({ subscription, record }) => this.dispatch(subscription.id, () => this.attempt(subscription, record, () => this.send(subscription, record.event)))));
    };
  }

  /**
   * Puts an event in the subscription's digest due at `release`: its own
   * record (status `batched`, so redeliver finds it and a repeat adds
   * nothing), and its id in the digest's. The first event of a digest
   * schedules its wake-up. An event that comes after its digest was frozen
   * goes to the one after.
   */
  private async addToDigest(subscription: Subscription, event: WatchEvent, release: Date, now: Date): Promise<void> {
    const { deps } = this;
    const { record, created } = await deps.deliveries.createIfAbsent(
      { team: subscription.team, subscriptionId: subscription.id, eventId: event.id, event, status: 'batched', attempts: 0, nextAttemptAt: null, createdAt: now.toISOString(), digestKey: digestKey(release) },
      now,
    );
    // Seen before: delivered (or held) otherwise, or already in a digest.
    if (!created && (record.status !== 'batched' || !record.digestKey)) return;
    let releaseAt = created ? release : new Date(record.digestKey?.slice('digest_'.length) ?? release);
    for (let tries = 0; tries < 3; tries++) {
      const added = await deps.deliveries.addToDigest({ team: subscription.team, subscriptionId: subscription.id }, releaseAt, event.id, now);
      if (!added.frozen) {
        // Scheduled by the first event; again when a message comes twice, in case the first died before it.
        if (added.created || !created) await deps.retries.schedule(refOf({ ...record, eventId: digestKey(releaseAt) }), releaseAt);
        return;
      }
      const frozen = await deps.deliveries.getDigest(subscription.id, digestKey(releaseAt));
      if (frozen?.eventIds.includes(event.id)) return;
      // Too late for that one: the next period's, which is at least one period on.
      const next = periodEnd(subscription.digest ?? { everyMinutes: 1 }, new Date(Math.max(deps.now().getTime(), releaseAt.getTime())));
      releaseAt = next;
      await deps.deliveries.setDigestKey(record, digestKey(releaseAt));
    }
    throw new Error(`could not add event ${event.id} to a digest of subscription ${subscription.id}`);
  }

  /** A scheduled retry has come due (or an early wake-up of a long one). */
  async retry(ref: DeliveryRef): Promise<void> {
    const { deps } = this;
    if (isDigestKey(ref.eventId)) return this.retryDigest(ref);
    const record = await deps.deliveries.get(ref.subscriptionId, ref.eventId);
    if (!record || record.status !== 'pending') return;
    const dueAt = record.nextAttemptAt ? Date.parse(record.nextAttemptAt) : 0;
    if (dueAt > deps.now().getTime() + EARLY_WAKE_MS) {
      // Longer than a queue can delay a message: sleep again until it is due.
      await deps.retries.schedule(ref, new Date(dueAt));
      return;
    }
    const subscription = await deps.subscriptions.get(ref.team, ref.subscriptionId);
    if (!subscription || !isDeliverable(subscription)) {
      // A retry that comes due while the subscription is paused is dropped too: nothing is kept for the resume.
      // Nothing is sent, so the log says skipped: neither a success nor a failure, and nothing to retry.
      const paused = Boolean(subscription?.pausedAt);
      const why = !subscription ? 'subscription deleted' : paused ? 'subscription paused' : 'subscription disabled';
      const log: AttemptLog = { ...this.log(record, { ok: false, statusCode: null, latencyMs: 0, error: why }), result: 'skipped' };
      await deps.deliveries.recordAttempt(record, log, { status: paused ? 'skipped' : 'abandoned', attempts: record.attempts, nextAttemptAt: null }, deps.now());
      return;
    }
    if (record.attempts === 0) {
      // Never tried: held for quiet hours. Still quiet (the window moved, or the wake came early)? Hold on.
      const heldUntil = holdUntil(subscription.quietHours, record.event, deps.now());
      if (heldUntil) {
        await deps.deliveries.setState(record, { status: 'pending', attempts: 0, nextAttemptAt: heldUntil.toISOString() });
        await deps.retries.schedule(ref, heldUntil);
        return;
      }
    }
    await this.dispatch(subscription.id, () => this.attempt(subscription, record, () => this.send(subscription, record.event)));
  }

  /**
   * A digest's wake-up: at (never before) its release it is frozen, and
   * every attempt from then on sends exactly what it held then, under the id
   * those events give it. Never sent empty; dropped, with what it holds, when
   * the subscription is paused or gone.
   */
  private async retryDigest(ref: DeliveryRef): Promise<void> {
    const { deps } = this;
    let digest = await deps.deliveries.getDigest(ref.subscriptionId, ref.eventId);
    if (!digest || digest.status !== 'pending') return;
    const now = deps.now();
    const dueAt = Math.max(Date.parse(digest.releaseAt), digest.nextAttemptAt ? Date.parse(digest.nextAttemptAt) : 0);
    // Early by no margin: an event may still be joining until the release.
    if (dueAt > now.getTime() + (digest.frozenAt ? EARLY_WAKE_MS : 0)) {
      await deps.retries.schedule(ref, new Date(dueAt));
      return;
    }
    const subscription = await deps.subscriptions.get(ref.team, ref.subscriptionId);
    if (!subscription || !isDeliverable(subscription)) {
      const why = !subscription ? 'subscription deleted' : subscription.pausedAt ? 'subscription paused' : 'subscription disabled';
      // Nothing is sent: a skip, counted neither way (as for a single event's retry).
      const skipped: AttemptLog = { ...this.log(digest, { ok: false, statusCode: null, latencyMs: 0, error: why }), result: 'skipped' };
      await deps.deliveries.recordAttempt(digest, skipped, { status: subscription?.pausedAt ? 'skipped' : 'abandoned', attempts: digest.attempts, nextAttemptAt: null }, now);
      return;
    }
    if (!digest.frozenAt) digest = await deps.deliveries.freezeDigest(ref.subscriptionId, ref.eventId, now);
    const events = (await Promise.all(digest.eventIds.map((id) => deps.deliveries.get(ref.subscriptionId, id)))).flatMap((record) => (record ? [record.event] : []));
    if (events.length === 0) {
      await deps.deliveries.setState(digest, { status: 'abandoned', attempts: digest.attempts, nextAttemptAt: null });
      return;
    }
    const frozen = digest;
    await this.dispatch(subscription.id, () => this.attempt(subscription, frozen, () => this.sendDigest(subscription, frozen, events)));
  }

  private dispatch(subscriptionId: string, task: () => Promise<void>): Promise<void> {
    return this.deps.lanes ? this.deps.lanes.run(subscriptionId, task) : task();
  }

  /** Sends a signed test event now; no retries. */
  async sendTest(subscription: Subscription): Promise<AttemptOutcome> {
    const now = this.deps.now();
    const event = {
      ...buildWatchEvent({
        watch: { watchId: 'test', team: subscription.team, label: 'Test notification', resource: { type: 'dataset', datasetId: 'test' } },
        version: 0,
        time: now,
        type: EVENT_TYPES.test,
        previous: null,
        current: null,
      }),
      id: `evt_test_${randomUUID().replace(/-/g, '')}`,
    };
    const outcome = await this.send(subscription, event);
    await this.deps.deliveries.logAttempt(subscription.team, subscription.id, { at: now.toISOString(), eventId: event.id, attempt: 1, ...pick(outcome), watchId: null, summary: eventSentence(event) }, now);
    return outcome;
  }

  /** Sends a past event again, with its original id; undefined when the subscription never had it. */
  async redeliver(subscription: Subscription, eventId: string): Promise<AttemptOutcome | undefined> {
    // A digest is not an event: its events are redelivered one by one, by their own ids.
    if (isDigestKey(eventId)) return undefined;
    const record = await this.deps.deliveries.get(subscription.id, eventId);
    if (!record) return undefined;
    const outcome = await this.send(subscription, record.event);
    const attempts = record.attempts + 1;
    const next = outcome.ok ? { status: 'delivered' as const, attempts, nextAttemptAt: null } : { status: record.status, attempts, nextAttemptAt: record.nextAttemptAt };
    await this.deps.deliveries.recordAttempt(record, this.log(record, outcome), next, this.deps.now());
    return outcome;
  }

  private async attempt(subscription: Subscription, record: DeliveryRecord | DigestRecord, send: () => Promise<Outcome>): Promise<void> {
    const { deps } = this;
    const claimedAt = deps.now();
    // In flight is not due: whoever else finds this attempt due meanwhile leaves it alone.
    const dueBy = new Date(claimedAt.getTime() + EARLY_WAKE_MS);
    if (!(await deps.deliveries.claim(record, dueBy, new Date(claimedAt.getTime() + (deps.leaseMs ?? 60_000))))) return;
    const outcome = await send();
    const attempts = record.attempts + 1;
    const now = deps.now();
    const log = this.log(record, outcome);

    if (outcome.ok) {
      await deps.deliveries.recordAttempt(record, log, { status: 'delivered', attempts, nextAttemptAt: null }, now);
      return;
    }
    if (outcome.gone) {
      // The receiver says it is gone for good (410, or Discord's unknown webhook): stop sending to it.
      await deps.deliveries.recordAttempt(record, log, { status: 'abandoned', attempts, nextAttemptAt: null }, now);
      await this.disable(subscription, { reason: 'gone', failingSince: null, lastError: log.error }, now);
      return;
    }
    const backoff = retryDelayMs(attempts, this.random);
    if (backoff === undefined) {
      const run = await deps.deliveries.recordAttempt(record, log, { status: 'dead', attempts, nextAttemptAt: null }, now);
      await deps.deadLetters.send({ ...record, attempts, status: 'dead' }, outcome.error ?? `last answer ${outcome.statusCode}`);
      deps.logger.error('delivery dead-lettered after its last attempt', { subscriptionId: subscription.id, eventId: record.eventId, attempts, answer: outcome.statusCode ?? outcome.error });
      await this.disableIfFailingTooLong(subscription, run.failingSince, log.error, now);
      return;
    }
    // A receiver that says when to come back (429 Retry-After) is taken at its word.
    const delay = outcome.retryAfterMs !== undefined ? Math.max(outcome.retryAfterMs, 1_000) : backoff;
    const at = new Date(now.getTime() + delay);
    const run = await deps.deliveries.recordAttempt(record, log, { status: 'pending', attempts, nextAttemptAt: at.toISOString() }, now);
    if (await this.disableIfFailingTooLong(subscription, run.failingSince, log.error, now)) {
      // No retry: it would find the subscription disabled.
      await deps.deliveries.setState(record, { status: 'abandoned', attempts, nextAttemptAt: null });
      return;
    }
    await deps.retries.schedule({ team: record.team, subscriptionId: record.subscriptionId, eventId: record.eventId }, at);
    deps.logger.warn('delivery attempt failed; retry scheduled', {
      subscriptionId: subscription.id,
      eventId: record.eventId,
      attempt: attempts,
      answer: outcome.statusCode ?? outcome.error,
      nextAttemptAt: at.toISOString(),
    });
  }

  /** Disables the subscription when its deliveries have all failed since longer than the limit; true when this call disabled it. */
  private async disableIfFailingTooLong(subscription: Subscription, failingSince: string | null, lastError: string | null, now: Date): Promise<boolean> {
    const limit = this.deps.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS;
    if (failingSince === null || now.getTime() - Date.parse(failingSince) < limit) return false;
    return this.disable(subscription, { reason: 'failing', failingSince, lastError }, now);
  }

  /**
   * Disables the subscription if it is still active and tells the team. Only
   * the call that flips it tells: two deliveries failing at once send one notice.
   */
  private async disable(subscription: Subscription, why: { reason: DisabledReason; failingSince: string | null; lastError: string | null }, now: Date): Promise<boolean> {
    const { deps } = this;
    const disabled = await deps.subscriptions.disable(subscription.team, subscription.id, { reason: why.reason, at: now });
    if (!disabled) return false;
    const context = { subscriptionId: subscription.id, team: subscription.team, reason: why.reason, failingSince: why.failingSince, lastError: why.lastError };
    deps.logger.warn(why.reason === 'gone' ? 'receiver answered 410; subscription disabled' : 'deliveries failing without a break; subscription disabled', context);
    try {
      await deps.notices?.subscriptionDisabled(buildDisabledNotice(disabled, { ...why, disabledAt: now }));
    } catch (error) {
      // The subscription stays disabled (its API view says so); the team's email is what failed.
      deps.logger.error('could not tell the team its subscription was disabled', { ...context, error: error instanceof Error ? error.message : String(error) });
    }
    return true;
  }

  /**
   * A digest, as one message: chat channels get one card, embed or Block
   * Kit message; a webhook one CloudEvents batch, signed as one Standard
   * Webhooks message whose id is the digest's.
   */
  private async sendDigest(subscription: Subscription, digest: DigestRecord, events: WatchEvent[]): Promise<Outcome> {
    const { deps } = this;
    const url = subscription.url ?? '';
    try {
      if (subscription.channel === 'webhook') {
        const body = JSON.stringify(cloudEventsBatch(events));
        const secrets = await this.signingSecrets(subscription);
        if (!secrets) return { ok: false, statusCode: null, latencyMs: 0, error: 'this webhook subscription has no signing secret' };
        const id = digestId(subscription.id, digest.eventIds);
        return outcomeOf('webhook', await deps.post(url, body, { 'content-type': CLOUDEVENTS_BATCH_CONTENT_TYPE, ...signatureHeaders(secrets, id, deps.now(), body) }));
      }
      if (subscription.channel === 'email') return { ok: false, statusCode: null, latencyMs: 0, error: 'email takes no digest' };
      const body = JSON.stringify(chatDigest(subscription.channel, events, new Date(digest.releaseAt)));
      return outcomeOf(subscription.channel, await deps.post(url, body, { 'content-type': 'application/json' }));
    } catch (error) {
      return { ok: false, statusCode: null, latencyMs: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The secrets that sign a webhook delivery now: its own, and during a rotation's grace period the previous one too. */
  private async signingSecrets(subscription: Subscription): Promise<string[] | undefined> {
    const { deps } = this;
    if (!subscription.secret) return undefined;
    const secrets = [await deps.secrets.open(subscription.secret, secretContext(subscription))];
    if (subscription.previousSecret && subscription.previousSecretExpiresAt && Date.parse(subscription.previousSecretExpiresAt) > deps.now().getTime()) {
      secrets.push(await deps.secrets.open(subscription.previousSecret, secretContext(subscription)));
    }
    return secrets;
  }

  private async send(subscription: Subscription, event: WatchEvent): Promise<Outcome> {
    const { deps } = this;
    try {
      let result: PostResult;
      if (subscription.channel === 'webhook') {
        const body = JSON.stringify(event);
        // During a rotation's grace period the previous secret signs too: receivers switch when they are ready.
        const secrets = await this.signingSecrets(subscription);
        if (!secrets) return { ok: false, statusCode: null, latencyMs: 0, error: 'this webhook subscription has no signing secret' };
        result = await deps.post(subscription.url ?? '', body, { 'content-type': 'application/json', ...signatureHeaders(secrets, event.id, deps.now(), body) });
      } else if (subscription.channel !== 'email') {
        result = await deps.post(subscription.url ?? '', JSON.stringify(chatMessage(subscription.channel, event, deps.links)), { 'content-type': 'application/json' });
      } else {
        if (!deps.email) return { ok: false, statusCode: null, latencyMs: 0, error: 'email is delivered by SNS here' };
        // A mail handed on has no HTTP answer: statusCode stays null rather than borrowing an SMTP code.
        const startedAt = Date.now();
        await deps.email.send(subscription, event);
        result = { ok: true, latencyMs: Date.now() - startedAt };
      }
      return outcomeOf(subscription.channel, result);
    } catch (error) {
      return { ok: false, statusCode: null, latencyMs: 0, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private log(record: AttemptTarget & { event?: WatchEvent; eventIds?: string[] }, outcome: AttemptOutcome): AttemptLog {
    // A digest's attempt names how many events it carried; an event's, its watch and what it said.
    const about = record.event
      ? { watchId: record.event.data.watchId, summary: eventSentence(record.event) }
      : { watchId: null, summary: record.eventIds ? `Digest of ${record.eventIds.length} event${record.eventIds.length === 1 ? '' : 's'}` : null };
    return { at: this.deps.now().toISOString(), eventId: record.eventId, attempt: record.attempts + 1, ...pick(outcome), ...about };
  }
}

/**
 * An answer as the retry machinery reads it: when to come back (Retry-After,
 * or Discord's more precise `retry_after`), and whether the receiver is gone
 * for good (410, or Discord's unknown webhook).
 */
type Outcome = AttemptOutcome & { retryAfterMs?: number; gone?: boolean };

function outcomeOf(channel: Channel, result: PostResult): Outcome {
  const discord = channel === 'discord' && !result.ok ? readDiscordRefusal(result.statusCode, result.body) : { gone: false };
  const retryAfterMs = discord.retryAfterMs ?? result.retryAfterMs;
  const gone = result.statusCode === 410 || discord.gone;
  return {
    ok: result.ok,
    statusCode: result.statusCode ?? null,
    latencyMs: result.latencyMs,
    error: result.ok ? null : (result.error ?? `receiver answered ${result.statusCode}`),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(gone ? { gone } : {}),
  };
}

function refOf(record: AttemptTarget): DeliveryRef {
  return { team: record.team, subscriptionId: record.subscriptionId, eventId: record.eventId };
}

/** The log's part of an outcome: delivered by its `ok`, never by an HTTP status (a mail has none). */
function pick(outcome: AttemptOutcome): Pick<AttemptLog, 'result' | 'statusCode' | 'latencyMs' | 'error'> {
  return { result: outcome.ok ? 'delivered' : 'failed', statusCode: outcome.statusCode, latencyMs: outcome.latencyMs, error: outcome.error };
}

/**
 * Standard Webhooks headers: the id receivers deduplicate on, and the
 * signature over id.timestamp.body, once per secret, space-separated (the
 * spec allows several, so a receiver with either secret verifies).
 */
export function signatureHeaders(secrets: string | readonly string[], eventId: string, now: Date, body: string): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': [secrets].flat().map((secret) => new Webhook(secret).sign(eventId, now, body)).join(' '),
  };
}
