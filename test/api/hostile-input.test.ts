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
  api = await apiHarness(dynamo, simulator);
  token = await api.createTeam('team-a');
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(() => api.logger.entries.splice(0));

describe('the Bearer scheme is matched case-insensitively', () => {
  it.each([['Bearer'], ['bearer'], ['BEARER'], ['bEaReR']])('accepts `%s <token>`', async (scheme) => {
    const result = await api.call('GET', '/v1/watches', { headers: { authorization: `${scheme} ${token}` } });

    expect(result.status).toBe(200);
  });

  it('still refuses another scheme, a missing token and a wrong one', async () => {
    const statuses = await Promise.all(
      [`Basic ${token}`, 'bearer', 'bearer ', `bearer${token}`, 'bearer wpt_not-a-real-token'].map(async (authorization) => (await api.call('GET', '/v1/watches', { headers: { authorization } })).status),
    );

    expect(statuses).toEqual([401, 401, 401, 401, 401]);
  });
});

describe('subscription descriptions refuse the characters labels refuse', () => {
  const hook = { channel: 'webhook', url: 'https://receiver.example.com/hook' } as const;

  it.each([
    ['a right-to-left override (U+202E)', 'invoice \u202Efdp.exe'],
    ['a left-to-right embedding (U+202A)', 'a\u202Ab'],
    ['a first-strong isolate (U+2068)', 'a\u2068b'],
    ['a C1 control (U+0085, next line)', 'line\u0085break'],
    ['a C1 control (U+009B, CSI)', '\u009B31mred'],
    ['a line break', 'two\nlines'],
    ['DEL', 'a\u007Fb'],
  ])('on create and on PATCH: %s', async (_name, description) => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { ...hook, description } });
    const ok = await api.call('POST', '/v1/subscriptions', { token, body: { ...hook, url: 'https://receiver.example.com/ok', description: 'fine' } });
    const patched = await api.call('PATCH', `/v1/subscriptions/${ok.json.id}`, { token, body: { description } });
    await api.call('DELETE', `/v1/subscriptions/${ok.json.id}`, { token });

    for (const refused of [created, patched]) {
      expect(refused.status).toBe(400);
      expect(refused.json.errors).toEqual([{ path: 'description', message: 'must not contain control characters (line breaks, tabs, escapes, direction overrides)' }]);
    }
  });

  it('admits text in any script, right-to-left ones included', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token, body: { ...hook, url: 'https://receiver.example.com/rtl', description: 'ערוץ התראות · 通知 · Benachrichtigung' } });

    expect(created.status).toBe(201);
    expect(created.json.description).toBe('ערוץ התראות · 通知 · Benachrichtigung');
  });
});

describe('subscription URLs are judged in every spelling', () => {
  it.each([
    ['webhook', 'https://localhost.:8443/h'],
    ['webhook', 'https://localhost%2e:8443/h'],
    ['webhook', 'https://metadata.google.internal./computeMetadata/v1/'],
    ['slack', 'https://hooks.slack.com:8443/services/T000/B000/XXXX'],
  ])('refuses a %s subscription to %s, naming url', async (channel, url) => {
    const result = await api.call('POST', '/v1/subscriptions', { token, body: { channel, url } });

    expect(result.status).toBe(422);
    expect(result.json.errors).toEqual([{ path: 'url', message: expect.stringMatching(/^must /) }]);
  });
});
