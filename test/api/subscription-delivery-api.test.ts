import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { startReceiver, type Receiver } from '../support/receiver';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let receiver: Receiver;
let api: Awaited<ReturnType<typeof apiHarness>>;
let token: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  receiver = await startReceiver();
  api = await apiHarness(dynamo, simulator, { allowPrivateWebhooks: true });
  token = await api.createTeam('team-a');
});
afterEach(() => receiver.close());

async function webhook(): Promise<string> {
  const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: `${receiver.url}/hook` } });
  return created.json.id as string;
}

describe('subscription delivery routes', () => {
  it('sends a test event and shows the attempt in the subscription’s delivery record', async () => {
    const id = await webhook();
    receiver.answer({ status: 202 });

    const sent = await api.call('POST', `/v1/subscriptions/${id}/test`, { token });
    const read = await api.call('GET', `/v1/subscriptions/${id}`, { token });

    expect(sent.json).toMatchObject({ ok: true, statusCode: 202, error: null });
    expect(receiver.received[0]?.headers['webhook-id']).toMatch(/^evt_test_/);
    expect(read.json.delivery).toMatchObject({ delivered: 1, failedAttempts: 0, lastSuccessAt: expect.any(String) });
    expect(read.json.delivery.recentAttempts[0]).toMatchObject({ result: 'delivered', statusCode: 202, attempt: 1, error: null, latencyMs: expect.any(Number) });
  });

  it('lists every subscription with its health and true 24 h figures in one request', async () => {
    const good = await webhook();
    const bad = await webhook();
    receiver.answer({ status: 204 }, { status: 204 }, { status: 500 });
    await api.call('POST', `/v1/subscriptions/${good}/test`, { token });
    await api.call('POST', `/v1/subscriptions/${good}/test`, { token });
    await api.call('POST', `/v1/subscriptions/${bad}/test`, { token });
    await api.call('PATCH', `/v1/subscriptions/${good}`, { token, body: { description: 'still counted' } });

    const list = await api.call('GET', '/v1/subscriptions', { token });

    const byId = Object.fromEntries((list.json.items as Array<{ id: string }>).map((item) => [item.id, item]));
    expect(byId[good]).toMatchObject({
      health: { state: 'healthy', attention: 'ok', reason: '100% delivered in 24 h' },
      last24h: { delivered: 2, failed: 0, successRate: 1, latencyMs: { timed: 2, p50: expect.any(Number), p95: expect.any(Number) } },
      lastSuccessAt: expect.any(String),
      lastFailureAt: null,
    });
    expect(byId[bad]).toMatchObject({ health: { state: 'failing', attention: 'critical', reason: '0% delivered in 24 h' }, last24h: { delivered: 0, failed: 1, successRate: 0 }, failingSince: expect.any(String) });
    // The list carries no per-subscription reads: no attempts, no retry schedule.
    expect(byId[good]).not.toHaveProperty('delivery');
  });

  it('says when the earliest retry of a failed delivery is due, and nothing once none waits', async () => {
    const id = await webhook();
    const before = await api.call('GET', `/v1/subscriptions/${id}`, { token });
    const stored = (await api.deps.subscriptions.get('team-a', id))!;
    const event = (version: number) =>
      buildWatchEvent({ watch: { watchId: 'w_r', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'ds_1' } }, version, time: new Date(), type: EVENT_TYPES.changed, previous: null, current: null });
    const now = new Date();
    for (const [version, due] of [[1, '2026-12-01T12:30:00.000Z'], [2, '2026-12-01T12:05:00.000Z']] as const) {
      const { record } = await api.deps.deliveries.createIfAbsent({ team: 'team-a', subscriptionId: stored.id, eventId: event(version).id, event: event(version), status: 'pending', attempts: 0, nextAttemptAt: now.toISOString(), createdAt: now.toISOString() }, now);
      await api.deps.deliveries.setState(record, { status: 'pending', attempts: 1, nextAttemptAt: due });
    }
    // A first attempt not yet made is not a retry.
    await api.deps.deliveries.createIfAbsent({ team: 'team-a', subscriptionId: stored.id, eventId: event(3).id, event: event(3), status: 'pending', attempts: 0, nextAttemptAt: '2026-12-01T12:00:00.000Z', createdAt: now.toISOString() }, now);

    const waiting = await api.call('GET', `/v1/subscriptions/${id}`, { token });
    await api.call('PATCH', `/v1/subscriptions/${id}`, { token, body: { paused: true } });
    const paused = await api.call('GET', `/v1/subscriptions/${id}`, { token });
    await api.deps.subscriptions.disable('team-a', id, { reason: 'failing', at: now });
    await api.deps.subscriptions.update('team-a', id, { pausedAt: null });
    const disabled = await api.call('GET', `/v1/subscriptions/${id}`, { token });

    expect(before.json.delivery.nextRetryAt).toBeNull();
    expect(waiting.json.delivery.nextRetryAt).toBe('2026-12-01T12:05:00.000Z');
    // A retry that comes due while paused or disabled is skipped: none is shown as waiting.
    expect([paused.json.paused, paused.json.delivery.nextRetryAt]).toEqual([true, null]);
    expect([disabled.json.status, disabled.json.delivery.nextRetryAt]).toEqual(['disabled', null]);
  });

  it('refuses to test an email subscription, which SNS delivers', async () => {
    const { json } = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'a@corp.example' } });

    const result = await api.call('POST', `/v1/subscriptions/${json.id}/test`, { token });

    expect(result.status).toBe(422);
  });

  it('redelivers an event the subscription had, and 404s one it never had', async () => {
    const id = await webhook();
    const event = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'ds_1' } },
      version: 1, time: new Date(), type: EVENT_TYPES.changed, previous: null, current: null,
    });
    await api.deps.delivery.deliverEvent(event);

    const again = await api.call('POST', `/v1/subscriptions/${id}/redeliver`, { token, body: { eventId: event.id } });
    const unknown = await api.call('POST', `/v1/subscriptions/${id}/redeliver`, { token, body: { eventId: 'evt_other' } });
    const otherTeam = await api.call('POST', `/v1/subscriptions/${id}/redeliver`, { token: await api.createTeam('team-b'), body: { eventId: event.id } });

    expect(again.json).toMatchObject({ ok: true, statusCode: 200 });
    expect([unknown.status, otherTeam.status]).toEqual([404, 404]);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
  });
});
