import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
let token: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  api = await apiHarness(dynamo, simulator);
  token = await api.createTeam('first-hour');
  simulator.putDataset('ds_1');
});

describe('mistakes get answers that say what to do', () => {
  it.each([
    [{ resource: { type: 'dataset', datasetId: 'ds_1', foo: 1 } }, 'resource.foo', 'is not a known field'],
    [{ resource: { type: 'dataset', datasetId: 'ds_1' }, notifyon: ['status'] }, 'notifyon', 'did you mean notifyOn?'],
    [{ resource: { type: 'dataset', dataset_id: 'ds_1' } }, 'resource.dataset_id', 'did you mean datasetId?'],
  ])('names the exact path of an unknown field in %j', async (body, path, message) => {
    const result = await api.call('POST', '/v1/watches', { token, body });

    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual(expect.arrayContaining([{ path, message: expect.stringContaining(message) }]));
  });

  it('suggests watchIds for watchId inside a subscription filter', async () => {
    const result = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'https://hooks.example.com/x', filter: { watchId: ['w_1'] } } });

    expect(result.json.errors).toEqual([{ path: 'filter.watchId', message: 'is not a known field; did you mean watchIds?' }]);
  });

  it('suggests nothing when nothing is close', async () => {
    const result = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_1' }, colour: 'red' } });

    expect(result.json.errors).toEqual([{ path: 'colour', message: 'is not a known field' }]);
  });

  it('answers 501, not a retryable 503, for a resource type whose upstream has no credentials, naming the settings', async () => {
    api = await apiHarness(dynamo, simulator, { upstreamConfigured: async (type) => type === 'dataset', credentialsHint: 'in the environment of npm start, then restarts it' });
    token = await api.createTeam('half-configured');

    const result = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'correction_session', projectId: 1, correctionId: 2 } } });

    expect(result.status).toBe(501);
    expect(result.headers['retry-after']).toBeUndefined();
    expect(result.json.detail).toContain('DEEPOPINION_TOKEN, or DEEPOPINION_EMAIL and DEEPOPINION_PASSWORD');
    expect(simulator.getStats().upstreamRequests).toBe(0);
    expect(await api.deps.quota.read('half-configured', 'watches')).toBeUndefined();
  });

  it('tells a local user how to admit a receiver on this machine', async () => {
    api = await apiHarness(dynamo, simulator, { privateWebhooksHint: 'a receiver on this machine needs WATCHPOST_ALLOW_PRIVATE_WEBHOOKS=1' });
    token = await api.createTeam('laptop');

    const result = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'http://127.0.0.1:19000/hook' } });

    expect(result.status).toBe(422);
    expect(result.json.errors[0].message).toBe('must use https; a receiver on this machine needs WATCHPOST_ALLOW_PRIVATE_WEBHOOKS=1');
  });

  it('refuses an unknown field in the body of a test send, and still accepts none', async () => {
    const { json: sub } = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'https://hooks.example.com/x' } });

    const stray = await api.call('POST', `/v1/subscriptions/${sub.id}/test`, { token, body: { x: 1 } });
    const empty = await api.call('POST', `/v1/subscriptions/${sub.id}/test`, { token });

    expect(stray.status).toBe(400);
    expect(stray.json.errors[0]).toMatchObject({ path: 'x' });
    expect(empty.status).toBe(200);
  });
});
