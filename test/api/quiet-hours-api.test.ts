import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
let token: string;

const WEBHOOK = { channel: 'webhook', url: 'https://hooks.example.com/watchpost' };
const quietHours = { timeZone: 'Europe/Vienna', from: '19:00', to: '08:00', days: ['mon', 'fri'], except: { statuses: ['failed'], eventTypes: ['watch.failing'] } };

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  api = await apiHarness(dynamo, simulator);
  token = await api.createTeam('team-a');
});

describe('quiet hours through the API', () => {
  it('keeps quiet hours on a webhook subscription, shows them, changes and removes them', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { ...WEBHOOK, quietHours } });
    const changed = await api.call('PATCH', `/v1/subscriptions/${created.json.id}`, { token, body: { quietHours: { timeZone: 'UTC', from: '22:00', to: '06:00' } } });
    const removed = await api.call('PATCH', `/v1/subscriptions/${created.json.id}`, { token, body: { quietHours: null } });
    const read = await api.call('GET', `/v1/subscriptions/${created.json.id}`, { token });

    expect(created.status).toBe(201);
    expect(created.json.quietHours).toEqual(quietHours);
    expect(changed.json.quietHours).toEqual({ timeZone: 'UTC', from: '22:00', to: '06:00' });
    expect(removed.json.quietHours).toBeNull();
    expect(read.json.quietHours).toBeNull();
  });

  it.each([
    ['an unknown time zone', { ...quietHours, timeZone: 'Europe/Atlantis' }, 'quietHours.timeZone', 'IANA time zone'],
    ['a time that is not HH:MM', { ...quietHours, from: '7pm' }, 'quietHours.from', 'HH:MM'],
    ['24:00', { ...quietHours, to: '24:00' }, 'quietHours.to', 'HH:MM'],
    ['an empty window', { ...quietHours, to: '19:00' }, 'quietHours.to', 'must differ'],
    ['an unknown day', { ...quietHours, days: ['someday'] }, 'quietHours.days.0', ''],
    ['a repeated day', { ...quietHours, days: ['mon', 'mon'] }, 'quietHours.days', 'repeat'],
    ['an unknown exception', { ...quietHours, except: { severity: 'high' } }, 'quietHours.except.severity', 'is not a known field'],
    ['an unknown event type', { ...quietHours, except: { eventTypes: ['resource.exploded'] } }, 'quietHours.except.eventTypes.0', ''],
  ])('answers 400 naming the field for %s', async (_what, quiet, path, message) => {
    const result = await api.call('POST', '/v1/subscriptions', { token, body: { ...WEBHOOK, quietHours: quiet } });

    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });

  it('answers 422 saying why for quiet hours on email, on create and on change, and subscribes nothing', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'ops@example.com', quietHours } });
    const email = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'ops@example.com' } });
    const changed = await api.call('PATCH', `/v1/subscriptions/${email.json.id}`, { token, body: { quietHours } });

    for (const refused of [created, changed]) {
      expect(refused.status).toBe(422);
      expect(refused.json.errors).toEqual([{ path: 'quietHours', message: expect.stringContaining('email is delivered by SNS as each event is published') }]);
    }
    expect(api.sns.commandCalls((await import('@aws-sdk/client-sns')).SubscribeCommand)).toHaveLength(1);
  });
});

describe('digests through the API', () => {
  it('keeps a digest on a Discord subscription, shows it, and removes it', async () => {
    const created = await api.call('POST', '/v1/subscriptions', {
      token,
      body: { channel: 'discord', url: 'https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789', digest: { everyMinutes: 15 }, quietHours },
    });
    const removed = await api.call('PATCH', `/v1/subscriptions/${created.json.id}`, { token, body: { digest: null } });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ digest: { everyMinutes: 15 }, quietHours });
    expect(removed.json.digest).toBeNull();
    expect(removed.json.quietHours).toEqual(quietHours);
  });

  it.each([[0], [1_441], [1.5]])('answers 400 naming digest.everyMinutes for %s', async (everyMinutes) => {
    const result = await api.call('POST', '/v1/subscriptions', { token, body: { ...WEBHOOK, digest: { everyMinutes } } });

    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual([expect.objectContaining({ path: 'digest.everyMinutes' })]);
  });

  it('answers 422 saying why for a digest on email, on create and on change', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'ops@example.com', digest: { everyMinutes: 15 } } });
    const email = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'ops@example.com' } });
    const changed = await api.call('PATCH', `/v1/subscriptions/${email.json.id}`, { token, body: { digest: { everyMinutes: 15 } } });

    for (const refused of [created, changed]) {
      expect(refused.status).toBe(422);
      expect(refused.json.errors).toEqual([{ path: 'digest', message: expect.stringContaining('cannot be held or batched') }]);
    }
  });
});
