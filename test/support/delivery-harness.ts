import { DeliveryStore, type DeliveryRecord, type DigestRecord } from '../../lambdas/adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../../lambdas/adapters/dynamo/subscription-store';
import { safePostJson } from '../../lambdas/adapters/http/safe-post';
import { DeliveryService, type DeliveryDeps } from '../../lambdas/delivery/delivery-service';
import type { DeliveryRef } from '../../lambdas/delivery/ports';
import { buildWatchEvent, EVENT_TYPES, type WatchEvent } from '../../lambdas/domain/events';
import type { FieldChange } from '../../lambdas/domain/snapshot';
import { newWebhookSecret } from '../../lambdas/api/auth';
import { POSTED_CHANNELS, secretContext, type Subscription } from '../../lambdas/domain/subscription';
import type { SubscriptionDisabledNotice } from '../../lambdas/domain/subscription-notice';
import { testSecretBox } from './secret-box';
import type { LocalDynamo } from './dynamo';
import { captureLogger } from './logger';

/**
 * The delivery service on a fresh table, with a clock the test moves and
 * recorded retries and dead letters. `overrides` replace the service's
 * defaults here (its channels, an email sender, lanes, notices).
 */
export async function deliveryHarness(dynamo: LocalDynamo, tableName?: string, overrides: Partial<DeliveryDeps> = {}) {
  const table = tableName ?? (await dynamo.newTable());
  // Starts at the real time: receivers check a signature's timestamp against their own clock.
  let clock = Date.now();
  const scheduled: Array<{ ref: DeliveryRef; at: Date }> = [];
  const deadLetters: Array<{ record: DeliveryRecord | DigestRecord; reason: string }> = [];
  // In AWS notices go to SNS (tested with its client mock); here the team's inbox is this list.
  const notices: SubscriptionDisabledNotice[] = [];
  const logger = captureLogger();
  const subscriptions = new SubscriptionStore(dynamo.client, table);
  const deliveries = new DeliveryStore(dynamo.client, table);
  const now = () => new Date(clock);
  const secrets = await testSecretBox();
  const service = new DeliveryService({
    subscriptions,
    deliveries,
    // Test receivers listen on 127.0.0.1, which only the local switch admits.
    post: (url, body, headers) => safePostJson(url, body, headers, { timeoutMs: 2_000, allowLoopback: true }),
    retries: { schedule: async (ref, at) => void scheduled.push({ ref, at }) },
    deadLetters: { send: async (record, reason) => void deadLetters.push({ record, reason }) },
    secrets,
    channels: [...POSTED_CHANNELS],
    links: { dataset: 'https://app.example.com/datasets/{datasetId}' },
    logger,
    now,
    random: () => 0.5,
    notices: { subscriptionDisabled: async (notice) => void notices.push(notice) },
    ...overrides,
  });

  let counter = 0;
  /**
   * Stores a subscription as the API would. A webhook gets a fresh random
   * secret unless the test names one; it is stored sealed, and the plaintext
   * comes back as `plainSecret` for the receiver to verify with.
   */
  async function subscribe(fields: Partial<Subscription> & Pick<Subscription, 'channel'>): Promise<Subscription & { plainSecret?: string }> {
    const subscription: Subscription = { id: `sub_${++counter}`, team: 'team-a', filter: null, status: 'active', createdAt: now().toISOString(), ...fields };
    const plainSecret = fields.channel === 'webhook' ? (fields.secret ?? newWebhookSecret()) : undefined;
    if (plainSecret) subscription.secret = await secrets.seal(plainSecret, secretContext(subscription));
    await subscriptions.put(subscription);
    return { ...subscription, ...(plainSecret ? { plainSecret } : {}) };
  }

  let version = 0;
  function event(fields: { team?: string; watchId?: string; datasetId?: string; type?: WatchEvent['type']; changes?: FieldChange[]; correction?: boolean } = {}): WatchEvent {
    version += 1;
    return buildWatchEvent({
      watch: {
        watchId: fields.watchId ?? 'w_1',
        team: fields.team ?? 'team-a',
        label: 'nightly eval',
        resource: fields.correction ? { type: 'correction_session', projectId: 7, correctionId: 42 } : { type: 'dataset', datasetId: fields.datasetId ?? 'ds_42' },
      },
      version,
      time: now(),
      type: fields.type ?? EVENT_TYPES.changed,
      changes: fields.changes ?? [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: 'C', to: 'A' }],
      previous: { status: 'running', grade: 'C', score: 0.6, progressPercent: 50, details: {} },
      current: { status: 'succeeded', grade: 'A', score: 0.91, progressPercent: null, details: {} },
    });
  }

  return {
    service,
    secrets,
    tableName: table,
    subscriptions,
    deliveries,
    logger,
    scheduled,
    deadLetters,
    notices,
    subscribe,
    event,
    now,
    advance(ms: number) {
      clock += ms;
    },
    /** Runs every retry scheduled so far whose time has come, as the queue would. */
    async runDueRetries() {
      const due = scheduled.filter((s) => s.at.getTime() <= clock);
      scheduled.splice(0, scheduled.length, ...scheduled.filter((s) => s.at.getTime() > clock));
      for (const { ref } of due) await service.retry(ref);
    },
  };
}
