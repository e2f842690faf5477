import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { startReceiver } from '../support/receiver';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
let token: string;

const TEAMS_URL =
  'https://942ead725f3ae61fb3309f7e87a28a.4a.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/b950a56150be4c05b3ace20939dcfd32/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=tFs9LpcdsN1pG3OGt8lUzSvoT9b3kU9ttXVmxiETPXE';
const DISCORD_URL = 'https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abcdefghij';

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

describe('Teams and Discord subscriptions', () => {
  it.each([
    ['teams', TEAMS_URL, 'Microsoft Teams'],
    ['discord', DISCORD_URL, 'Discord'],
  ])('creates a %s subscription from its documented URL form, with no signing secret', async (channel, url) => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel, url, description: 'release room' } });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ channel, url, status: 'active', paused: false, description: 'release room' });
    expect(created.json).not.toHaveProperty('secret');
    expect(created.json).not.toHaveProperty('previousSecretExpiresAt');
  });

  it.each([
    ['teams', 'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d', 'must be the URL of a Teams Workflows'],
    ['teams', TEAMS_URL.replace(/&sig=[^&]+/, ''), 'must carry the trigger’s sig parameter'],
    ['teams', TEAMS_URL.replace('https:', 'http:'), 'must use https'],
    ['discord', 'https://discord.example.com/api/webhooks/1/x', 'must be a Discord webhook URL'],
    ['discord', DISCORD_URL.replace('https:', 'http:'), 'must use https'],
  ])('answers 422 naming url for a %s URL of another form: %s', async (channel, url, message) => {
    const refused = await api.call('POST', '/v1/subscriptions', { token, body: { channel, url } });

    expect(refused.status).toBe(422);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json.errors).toEqual([{ path: 'url', message: expect.stringContaining(message) }]);
    expect((await api.call('GET', '/v1/subscriptions', { token })).json.items).toEqual([]);
  });

  it('answers 400 naming the field for a chat subscription without a url, or with an address', async () => {
    const missing = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'discord' } });
    const stray = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'teams', url: TEAMS_URL, address: 'a@example.com' } });

    expect(missing.status).toBe(400);
    expect(missing.json.errors).toEqual([expect.objectContaining({ path: 'url' })]);
    expect(stray.status).toBe(400);
    expect(JSON.stringify(stray.json.errors)).toContain('address');
  });

  it('sends a test to a Discord-shaped receiver through the API', async () => {
    api = await apiHarness(dynamo, simulator, { allowPrivateWebhooks: true });
    token = await api.createTeam('team-b');
    const receiver = await startReceiver({ status: 204 });
    try {
      const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'discord', url: `${receiver.url}/api/webhooks/1/t` } });

      const sent = await api.call('POST', `/v1/subscriptions/${created.json.id}/test`, { token });

      expect(sent.json).toMatchObject({ ok: true, statusCode: 204 });
      expect(JSON.parse(receiver.received[0]?.body ?? '').embeds[0].title).toBe('Test notification: dataset test: test notification');
    } finally {
      await receiver.close();
    }
  });
});
