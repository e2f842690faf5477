import { GetSubscriptionAttributesCommand, NotFoundException, SetSubscriptionAttributesCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { ADMIN_TOKEN, apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
/** The poller's side of the same table. */
const pollStore = () => new DynamoPollStore({ client: dynamo.client, tableName: api.tableName });
let teamA: string;
let teamB: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  simulator.datasets.clear();
  simulator.corrections.clear();
  simulator.runs.clear();
  simulator.clearFaults();
  simulator.resetStats();
  simulator.putDataset('ds_1', { status: 'running', progress: { percent: 40, processed_rows: 4, total_rows: 10 } });
  simulator.putCorrection(7, 42, { status: 'SAMPLING' });
  api = await apiHarness(dynamo, simulator);
  [teamA, teamB] = await Promise.all([api.createTeam('team-a'), api.createTeam('team-b')]);
});

const datasetWatch = { resource: { type: 'dataset', datasetId: 'ds_1' }, label: 'nightly eval' };

describe('POST /v1/watches', () => {
  it('creates a watch with the resource’s current state as baseline', async () => {
    const created = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^w_/),
      resource: { type: 'dataset', datasetId: 'ds_1' },
      notifyOn: ['status', 'grade'],
      label: 'nightly eval',
      paused: false,
      state: 'active',
      current: { status: 'running', progressPercent: 40 },
    });
  });

  it('returns the existing watch when the team registers the same resource again', async () => {
    const first = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });
    const again = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: datasetWatch.resource } });

    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
  });

  it('gives another team its own watch on the same resource', async () => {
    const a = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });
    const b = await api.call('POST', '/v1/watches', { token: teamB, body: datasetWatch });

    expect(b.status).toBe(201);
    expect(b.json.id).not.toBe(a.json.id);
  });

  it('watches a correction session, notifying on status by default', async () => {
    const created = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'correction_session', projectId: 7, correctionId: 42 } } });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ notifyOn: ['status'], current: { status: 'SAMPLING', grade: null } });
  });

  it('answers 422 when the resource does not exist upstream', async () => {
    const result = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'dataset', datasetId: 'ds_missing' } } });

    expect(result.status).toBe(422);
    expect(result.json.errors).toEqual([{ path: 'resource', message: 'The resource was not found upstream.' }]);
  });

  it('answers 503 with Retry-After when the upstream cannot be reached', async () => {
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 502 });

    const result = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('30');
    expect(result.headers['content-type']).toBe('application/problem+json');
  });

  it('watches an AutoScientist run, notifying on status by default, with its win rate as the figure', async () => {
    simulator.putRun('as_run_1', { status: 'running', iterations_completed: 2, max_iterations: 5, best_win_rate: 0.66 });

    const created = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'autoscientist_run', runId: 'as_run_1' } } });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ resource: { type: 'autoscientist_run', runId: 'as_run_1' }, notifyOn: ['status'], current: { status: 'running', score: 0.66, progressPercent: 40 } });
  });

  it('watches the newest run of a dataset when asked by dataset with latest: true, and the same watch again', async () => {
    simulator.putRun('as_old', { dataset_id: 'ds_1', created_at: '2026-12-01T00:00:00Z' });
    simulator.putRun('as_new', { dataset_id: 'ds_1', created_at: '2026-12-03T00:00:00Z' });
    simulator.putRun('as_other', { dataset_id: 'ds_2', created_at: '2026-12-09T00:00:00Z' });
    const body = { resource: { type: 'autoscientist_run', datasetId: 'ds_1', latest: true }, notifyOn: ['status', 'winRate'] };

    const created = await api.call('POST', '/v1/watches', { token: teamA, body });
    const again = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'autoscientist_run', runId: 'as_new' } } });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ resource: { type: 'autoscientist_run', runId: 'as_new' }, notifyOn: ['status', 'winRate'] });
    expect([again.status, again.json.id]).toEqual([200, created.json.id]);
  });

  it('answers 422 naming the dataset when it has no run to watch', async () => {
    simulator.putRun('as_other', { dataset_id: 'ds_2' });

    const result = await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'autoscientist_run', datasetId: 'ds_1', latest: true } } });

    expect(result.status).toBe(422);
    expect(result.json.errors).toEqual([{ path: 'resource.datasetId', message: 'Dataset ds_1 has no AutoScientist run to watch.' }]);
  });

  it('answers 503 when the runs list cannot be read, and 501 before asking when Adaption has no credentials', async () => {
    simulator.addFault({ path: '/api/v1/autoscientist', exact: true, status: 502 });
    const body = { resource: { type: 'autoscientist_run', datasetId: 'ds_1', latest: true } };

    const unavailable = await api.call('POST', '/v1/watches', { token: teamA, body });
    simulator.clearFaults();
    simulator.resetStats();
    api = await apiHarness(dynamo, simulator, { upstreamConfigured: async (type) => type === 'correction_session' });
    const token = await api.createTeam('no-adaption');
    const unconfigured = await api.call('POST', '/v1/watches', { token, body });

    expect([unavailable.status, unavailable.headers['retry-after']]).toEqual([503, '30']);
    expect(unconfigured.status).toBe(501);
    expect(unconfigured.json.detail).toContain('no Adaption Labs credentials, so it cannot watch a autoscientist_run');
    expect(simulator.getStats().upstreamRequests).toBe(0);
  });

  it('answers 409 once the team has reached its watch limit', async () => {
    api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 1, subscriptionsPerTeam: 50 } });
    const token = await api.createTeam('small');
    simulator.putDataset('ds_2');
    await api.call('POST', '/v1/watches', { token, body: datasetWatch });

    const result = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_2' } } });

    expect(result.status).toBe(409);
    expect(result.json.detail).toContain('limit of 1 watches');
  });
});

describe('validation', () => {
  it.each([
    ['an unknown field', { ...datasetWatch, colour: 'red' }, 'colour', 'is not a known field'],
    ['an unknown resource type', { resource: { type: 'repo', id: 'x' } }, 'resource.type', ''],
    ['a dataset id that would break a URL', { resource: { type: 'dataset', datasetId: '../x' } }, 'resource.datasetId', 'must be 1-128 characters'],
    ['a negative project id', { resource: { type: 'correction_session', projectId: -1, correctionId: 2 } }, 'resource.projectId', ''],
    ['a string correction id', { resource: { type: 'correction_session', projectId: 1, correctionId: '2' } }, 'resource.correctionId', ''],
    ['an unknown notifyOn field', { ...datasetWatch, notifyOn: ['colour'] }, 'notifyOn.0', ''],
    ['a run id that would break a URL', { resource: { type: 'autoscientist_run', runId: '../x' } }, 'resource.runId', 'must be 1-128 characters'],
    ['a run with neither id nor dataset', { resource: { type: 'autoscientist_run' } }, 'resource.runId', 'give runId, or datasetId with latest: true'],
    ['a run by id and by dataset at once', { resource: { type: 'autoscientist_run', runId: 'r1', datasetId: 'ds_1', latest: true } }, 'resource.runId', 'not both'],
    ['a run by dataset without latest', { resource: { type: 'autoscientist_run', datasetId: 'ds_1' } }, 'resource.latest', 'must be true with datasetId'],
    ['a run by dataset with latest false', { resource: { type: 'autoscientist_run', datasetId: 'ds_1', latest: false } }, 'resource.latest', ''],
    ['a run by a dataset id that would break a URL', { resource: { type: 'autoscientist_run', datasetId: 'a/b', latest: true } }, 'resource.datasetId', 'must be 1-128 characters'],
    ['a grade on a run', { resource: { type: 'autoscientist_run', runId: 'r1' }, notifyOn: ['grade'] }, 'notifyOn', 'AutoScientist runs have no grade; use status or winRate'],
    ['a win rate on a dataset', { ...datasetWatch, notifyOn: ['winRate'] }, 'notifyOn', 'datasets have no winRate'],
    ['a grade on a correction session', { resource: { type: 'correction_session', projectId: 7, correctionId: 42 }, notifyOn: ['grade'] }, 'notifyOn', 'no grade'],
    ['a label over 100 characters', { ...datasetWatch, label: 'x'.repeat(101) }, 'label', ''],
    ['a label with a line break', { ...datasetWatch, label: 'nightly\n<!channel> eval' }, 'label', 'control characters'],
    ['a label with an escape sequence', { ...datasetWatch, label: 'nightly \u001b[31m eval' }, 'label', 'control characters'],
    ['a label with a direction override', { ...datasetWatch, label: 'nightly \u202e lave' }, 'label', 'control characters'],
  ])('answers 400 naming the field for %s', async (_name, body, path, message) => {
    const result = await api.call('POST', '/v1/watches', { token: teamA, body });

    expect(result.status).toBe(400);
    expect(result.headers['content-type']).toBe('application/problem+json');
    expect(result.json.type).toBe('https://watchpost.dev/problems/validation-error');
    expect(result.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
    expect(simulator.getStats().upstreamRequests).toBe(0);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const result = await api.call('POST', '/v1/watches', { token: teamA, rawBody: '{"resource":', headers: { 'content-type': 'application/json' } });

    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual([{ path: '(body)', message: 'is not valid JSON' }]);
  });

  it('answers 413 for a body over 16 KiB', async () => {
    const result = await api.call('POST', '/v1/watches', { token: teamA, body: { ...datasetWatch, label: 'x'.repeat(17_000) } });

    expect(result.status).toBe(413);
  });

  it('answers 415 for a body that is not declared JSON', async () => {
    const result = await api.call('POST', '/v1/watches', { token: teamA, rawBody: JSON.stringify(datasetWatch), headers: { 'content-type': 'text/plain' } });

    expect(result.status).toBe(415);
  });

  it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const missing = await api.call('GET', '/v1/nothing', { token: teamA });
    const wrong = await api.call('PUT', '/v1/watches', { token: teamA, body: {} });

    expect(missing.status).toBe(404);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST, GET');
  });

  it('answers 400 naming the parameter for a bad limit or a forged cursor', async () => {
    const badLimit = await api.call('GET', '/v1/watches', { token: teamA, query: { limit: '500' } });
    const forged = await api.call('GET', '/v1/watches', { token: teamA, query: { cursor: Buffer.from('{"pk":"x"}').toString('base64url') } });

    expect(badLimit.json.errors[0].path).toBe('limit');
    expect(forged.status).toBe(400);
    expect(forged.json.errors[0].path).toBe('cursor');
  });
});

describe('authentication and tenancy', () => {
  it('answers 401 without a token or with a wrong one', async () => {
    const none = await api.call('GET', '/v1/watches');
    const wrong = await api.call('GET', '/v1/watches', { token: 'wpt_not-a-real-token' });

    expect([none.status, wrong.status]).toEqual([401, 401]);
    expect(none.headers['www-authenticate']).toBe('Bearer');
  });

  it('shows team B a 404 for team A’s watch, its events, and refuses changes', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const read = await api.call('GET', `/v1/watches/${watch.id}`, { token: teamB });
    const events = await api.call('GET', `/v1/watches/${watch.id}/events`, { token: teamB });
    const patch = await api.call('PATCH', `/v1/watches/${watch.id}`, { token: teamB, body: { paused: true } });
    const remove = await api.call('DELETE', `/v1/watches/${watch.id}`, { token: teamB });
    const missing = await api.call('GET', '/v1/watches/w_doesnotexist0000', { token: teamB });

    expect([read.status, events.status, patch.status, remove.status]).toEqual([404, 404, 404, 404]);
    expect(read.json).toEqual({ ...missing.json, instance: read.json.instance });
    expect((await api.call('GET', `/v1/watches/${watch.id}`, { token: teamA })).json.paused).toBe(false);
  });

  it('lists only the caller’s watches', async () => {
    await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const listB = await api.call('GET', '/v1/watches', { token: teamB });

    expect(listB.json).toEqual({ items: [], nextCursor: null });
  });

  it('lets only the admin token create teams, and never twice by the same name', async () => {
    const asTeam = await api.call('POST', '/v1/admin/teams', { token: teamA, body: { name: 'sneaky' } });
    const duplicate = await api.call('POST', '/v1/admin/teams', { token: ADMIN_TOKEN, body: { name: 'team-a' } });
    const created = await api.call('POST', '/v1/admin/teams', { token: ADMIN_TOKEN, body: { name: 'data-eng' } });

    expect(asTeam.status).toBe(401);
    expect(duplicate.status).toBe(409);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ team: { id: 'data-eng', name: 'data-eng' }, token: expect.stringMatching(/^wpt_/) });
  });
});

describe('reading and changing watches', () => {
  it('pages through watches with an opaque cursor', async () => {
    for (const id of ['ds_a', 'ds_b', 'ds_c', 'ds_d', 'ds_e']) {
      simulator.putDataset(id);
      await api.call('POST', '/v1/watches', { token: teamA, body: { resource: { type: 'dataset', datasetId: id } } });
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api.call('GET', '/v1/watches', { token: teamA, query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      seen.push(...page.json.items.map((w: { resource: { datasetId: string } }) => w.resource.datasetId));
      cursor = page.json.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);

    expect(seen.sort()).toEqual(['ds_a', 'ds_b', 'ds_c', 'ds_d', 'ds_e']);
    expect(pages).toBe(3);
  });

  it('shows one watch with its current state, last poll time and last error', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const read = await api.call('GET', `/v1/watches/${watch.id}`, { token: teamA });

    expect(read.json).toMatchObject({ id: watch.id, current: { status: 'running' }, lastPolledAt: '2026-11-23T12:00:00.000Z', lastError: null });
  });

  it('changes notifyOn and label, and pauses the watch out of polling', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const patched = await api.call('PATCH', `/v1/watches/${watch.id}`, { token: teamA, body: { notifyOn: ['grade'], label: null, paused: true } });
    const pollable: string[] = [];
    for await (const page of pollStore().pollablePages()) pollable.push(...page.map((w) => w.watchId));

    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ notifyOn: ['grade'], label: null, paused: true });
    expect(pollable).not.toContain(watch.id);
  });

  it('puts a resumed watch back into polling', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });
    await api.call('PATCH', `/v1/watches/${watch.id}`, { token: teamA, body: { paused: true } });

    await api.call('PATCH', `/v1/watches/${watch.id}`, { token: teamA, body: { paused: false } });
    const pollable: string[] = [];
    for await (const page of pollStore().pollablePages()) pollable.push(...page.map((w) => w.watchId));

    expect(pollable).toContain(watch.id);
  });

  it('refuses an empty PATCH', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const result = await api.call('PATCH', `/v1/watches/${watch.id}`, { token: teamA, body: {} });

    expect(result.status).toBe(400);
  });

  it('deletes a watch, after which the resource can be registered anew', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const removed = await api.call('DELETE', `/v1/watches/${watch.id}`, { token: teamA });
    const gone = await api.call('GET', `/v1/watches/${watch.id}`, { token: teamA });
    const again = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    expect([removed.status, gone.status, again.status]).toEqual([204, 404, 201]);
    // The id is the team's (team, resource) key; the version carries on (see the registration tests).
    expect(again.json.id).toBe(watch.id);
  });

  it('lists a watch’s events newest first', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });
    const stored = await api.deps.watches.getWatch(watch.id);
    const { buildWatchEvent, EVENT_TYPES } = await import('../../lambdas/domain/events');
    const events = [1, 2].map((version) =>
      buildWatchEvent({ watch: stored!, version, time: new Date(`2026-11-23T12:0${version}:00Z`), type: EVENT_TYPES.changed, previous: null, current: null }),
    );
    await pollStore().recordHistory(events, new Date('2026-11-23T12:03:00Z'));

    const listed = await api.call('GET', `/v1/watches/${watch.id}/events`, { token: teamA });

    expect(listed.json.items.map((e: { sequence: string }) => e.sequence)).toEqual(['2', '1']);
  });
});

describe('subscriptions', () => {
  it('shows a webhook’s signing secret once, at creation', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'webhook', url: 'https://receiver.example.com/hook' } });
    const read = await api.call('GET', `/v1/subscriptions/${created.json.id}`, { token: teamA });
    const listed = await api.call('GET', '/v1/subscriptions', { token: teamA });

    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(read.json).not.toHaveProperty('secret');
    expect(listed.json.items[0]).not.toHaveProperty('secret');
    expect(read.json).toMatchObject({ channel: 'webhook', url: 'https://receiver.example.com/hook', status: 'active' });
  });

  it('stores the signing secret sealed, never in the clear, and logs it nowhere', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'webhook', url: 'https://receiver.example.com/hook' } });
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: api.tableName }));

    const raw = JSON.stringify(Items);
    const secretBody = String(created.json.secret).slice('whsec_'.length);
    expect(raw).not.toContain(secretBody);
    expect(raw).toContain('wps1.local.');
    expect(JSON.stringify(api.logger.entries)).not.toContain(secretBody);
  });

  it('stores an email subscription as pending confirmation, and a filter', async () => {
    const created = await api.call('POST', '/v1/subscriptions', {
      token: teamA,
      body: { channel: 'email', address: 'oncall@corp.example', filter: { resourceTypes: ['dataset'], changes: ['grade'] } },
    });

    expect(created.json).toMatchObject({ channel: 'email', address: 'oncall@corp.example', status: 'pending_confirmation', filter: { resourceTypes: ['dataset'], changes: ['grade'] } });
    expect(created.json).not.toHaveProperty('secret');
  });

  it('subscribes an email address on SNS with a filter policy scoped to the team', async () => {
    await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example', filter: { watchIds: ['w_1'] } } });

    const input = api.sns.commandCalls(SubscribeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Protocol: 'email', Endpoint: 'oncall@corp.example', ReturnSubscriptionArn: true });
    expect(JSON.parse(input?.Attributes?.FilterPolicy ?? '{}')).toEqual({
      $or: [
        { team: ['team-a'], watchId: ['w_1'] },
        { team: ['team-a'], eventType: ['io.watchpost.subscription.disabled'] },
      ],
    });
  });

  it('shows an email subscription as active once the recipient confirmed, and unsubscribes it on delete', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });
    api.sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { PendingConfirmation: 'false' } });

    const read = await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA });
    await api.call('DELETE', `/v1/subscriptions/${created.id}`, { token: teamA });

    expect(read.json.status).toBe('active');
    expect(api.sns.commandCalls(UnsubscribeCommand)[0]?.args[0].input.SubscriptionArn).toBe('arn:aws:sns:eu-west-1:123456789012:watchpost-changes:1b2c');
  });

  it('subscribes an email address with outcome filters as an SNS filter policy on the attributes the publisher sets', async () => {
    const result = await api.call('POST', '/v1/subscriptions', {
      token: teamA,
      body: { channel: 'email', address: 'oncall@corp.example', filter: { statuses: ['succeeded', 'FINISHED'], grade: 'worsened', eventTypes: ['resource.changed', 'watch.failing'] } },
    });

    expect(result.status).toBe(201);
    expect(result.json.filter).toEqual({ statuses: ['succeeded', 'FINISHED'], grade: 'worsened', eventTypes: ['resource.changed', 'watch.failing'] });
    const policy = JSON.parse(api.sns.commandCalls(SubscribeCommand)[0]?.args[0].input.Attributes?.FilterPolicy ?? '{}') as Record<string, unknown>;
    const team = [expect.any(String)];
    expect(policy).toEqual({
      $or: [
        { team, eventType: ['io.watchpost.resource.changed'], status: ['succeeded', 'FINISHED'], gradeMove: ['worsened'] },
        { team, eventType: ['io.watchpost.watch.failing'] },
        { team, eventType: ['io.watchpost.subscription.disabled'] },
      ],
    });
  });

  it('answers 400 naming the field for an unknown event type or grade direction', async () => {
    const result = await api.call('POST', '/v1/subscriptions', {
      token: teamA,
      body: { channel: 'webhook', url: 'https://hooks.example.com/x', filter: { eventTypes: ['resource.exploded'], grade: 'better' } },
    });

    expect(result.status).toBe(400);
    expect(result.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['filter.eventTypes.0', 'filter.grade']);
  });

  it('answers 422 naming the fields for an email filter that needs more attribute keys than SNS allows', async () => {
    const result = await api.call('POST', '/v1/subscriptions', {
      token: teamA,
      body: { channel: 'email', address: 'oncall@corp.example', filter: { watchIds: ['w_1'], resourceTypes: ['dataset'], eventTypes: ['resource.changed'], changes: ['status'], statuses: ['succeeded'] } },
    });

    expect(result.status).toBe(422);
    expect(result.json.errors[0]).toMatchObject({ path: 'filter', message: expect.stringContaining('over SNS') });
    expect(api.sns.commandCalls(SubscribeCommand)).toHaveLength(0);
  });

  it('PATCHes an email subscription: the SNS filter policy follows its filter, pause and resume, then the store', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example', description: 'on-call rota' } });
    const policies = () => api.sns.commandCalls(SetSubscriptionAttributesCommand).map((call) => JSON.parse(call.args[0].input.AttributeValue ?? '{}') as Record<string, unknown>);

    const narrowed = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamA, body: { filter: { statuses: ['succeeded'] }, description: null } });
    const paused = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamA, body: { paused: true } });
    const resumed = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamA, body: { paused: false } });

    expect(created).toMatchObject({ description: 'on-call rota', paused: false, pausedAt: null });
    expect([narrowed.status, paused.status, resumed.status]).toEqual([200, 200, 200]);
    expect(narrowed.json).toMatchObject({ filter: { statuses: ['succeeded'] }, description: null, paused: false });
    expect(paused.json).toMatchObject({ paused: true, pausedAt: expect.stringMatching(/^\d{4}-/) });
    expect(resumed.json).toMatchObject({ paused: false, pausedAt: null, filter: { statuses: ['succeeded'] } });
    const [afterFilter, afterPause, afterResume] = policies();
    expect(afterFilter).toMatchObject({ $or: [{ status: ['succeeded'] }, expect.anything(), expect.anything()] });
    // Paused: a policy no published event can match, so SNS sends nothing and keeps nothing.
    expect(afterPause).toEqual({ team: [expect.any(String)], eventType: ['io.watchpost.subscription.paused'] });
    expect(afterResume).toEqual(afterFilter);
    expect(api.sns.commandCalls(SetSubscriptionAttributesCommand).every((call) => call.args[0].input.AttributeName === 'FilterPolicy')).toBe(true);
  });

  it('changes nothing when SNS refuses the new email filter, and says to try again', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });
    api.sns.on(SetSubscriptionAttributesCommand).rejects(new Error('Throttling'));

    const result = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamA, body: { paused: true } });
    const read = await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA });

    expect(result.status).toBe(503);
    expect(read.json).toMatchObject({ paused: false, pausedAt: null });
  });

  it('shows a subscription Watchpost disabled, with when and why, and PATCH {"paused": false} turns it back on afresh', async () => {
    const { json: hook } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'webhook', url: 'https://hooks.example.com/x' } });
    const { json: fresh } = await api.call('GET', `/v1/subscriptions/${hook.id}`, { token: teamA });
    const at = new Date('2026-11-29T10:00:00Z');
    await api.deps.deliveries.logAttempt('team-a', hook.id, { at: '2026-11-24T10:00:00.000Z', eventId: 'evt_1', attempt: 1, result: 'failed', statusCode: 500, latencyMs: 3, error: 'receiver answered 500' }, at);
    await api.deps.subscriptions.disable('team-a', hook.id, { reason: 'failing', at });

    const { json: disabled } = await api.call('GET', `/v1/subscriptions/${hook.id}`, { token: teamA });
    const foreign = await api.call('PATCH', `/v1/subscriptions/${hook.id}`, { token: teamB, body: { paused: false } });
    const described = await api.call('PATCH', `/v1/subscriptions/${hook.id}`, { token: teamA, body: { description: 'still off' } });
    const enabled = await api.call('PATCH', `/v1/subscriptions/${hook.id}`, { token: teamA, body: { paused: false } });

    expect(fresh).toMatchObject({ status: 'active', disabledAt: null, disabledReason: null, failingSince: null });
    expect(disabled).toMatchObject({ status: 'disabled', disabledAt: at.toISOString(), disabledReason: 'failing', failingSince: '2026-11-24T10:00:00.000Z', paused: false });
    expect(foreign.status).toBe(404);
    expect(described.json).toMatchObject({ status: 'disabled', description: 'still off' });
    expect(enabled.status).toBe(200);
    expect(enabled.json).toMatchObject({ status: 'active', disabledAt: null, disabledReason: null, failingSince: null, paused: false, description: 'still off' });
  });

  it('answers PATCH of another team’s subscription with 404, an empty PATCH with 400, and an email filter over SNS’s limits with 422', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });
    const watchIds = Array.from({ length: 100 }, (_, i) => `w_${i}`);

    const foreign = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamB, body: { paused: true } });
    const empty = await api.call('PATCH', `/v1/subscriptions/${created.id}`, { token: teamA, body: {} });
    const tooWide = await api.call('PATCH', `/v1/subscriptions/${created.id}`, {
      token: teamA,
      body: { filter: { watchIds, resourceTypes: ['dataset', 'correction_session'], changes: ['status', 'grade'] } },
    });

    expect([foreign.status, empty.status, tooWide.status]).toEqual([404, 400, 422]);
    expect(tooWide.json.errors[0].path).toBe('filter.watchIds');
    expect(api.sns.commandCalls(SetSubscriptionAttributesCommand)).toHaveLength(0);
    expect((await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA })).json.paused).toBe(false);
  });

  it('rotates a webhook secret only for its own team, only for webhooks, within 7 days of grace, and never loses a secret to a concurrent rotation', async () => {
    const { json: hook } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'webhook', url: 'https://hooks.example.com/x' } });
    const { json: mail } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });

    const foreign = await api.call('POST', `/v1/subscriptions/${hook.id}/rotate-secret`, { token: teamB });
    const email = await api.call('POST', `/v1/subscriptions/${mail.id}/rotate-secret`, { token: teamA });
    const tooLong = await api.call('POST', `/v1/subscriptions/${hook.id}/rotate-secret`, { token: teamA, body: { graceSeconds: 8 * 86_400 } });
    const burst = await Promise.all(Array.from({ length: 8 }, () => api.call('POST', `/v1/subscriptions/${hook.id}/rotate-secret`, { token: teamA })));

    expect([foreign.status, email.status, tooLong.status]).toEqual([404, 422, 400]);
    expect(tooLong.json.errors[0].path).toBe('graceSeconds');
    const won = burst.filter((r) => r.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    expect(burst.filter((r) => r.status !== 200).every((r) => r.status === 409)).toBe(true);
    // The secret that signs now is one a winner was shown, and the one it replaced was shown to a winner (or at creation).
    const stored = await api.deps.subscriptions.get('team-a', hook.id);
    const context = { team: 'team-a', subscription: hook.id };
    const shown = [hook.secret, ...won.map((r) => r.json.secret)];
    expect(won.map((r) => r.json.secret)).toContain(await api.deps.secrets.open(stored!.secret!, context));
    expect(shown).toContain(await api.deps.secrets.open(stored!.previousSecret!, context));
  });

  it('answers 422 naming filter.watchIds for an email filter over SNS’s limits, before anything reaches SNS or the table', async () => {
    const watchIds = Array.from({ length: 100 }, (_, i) => `w_${i}`);

    const result = await api.call('POST', '/v1/subscriptions', {
      token: teamA,
      body: { channel: 'email', address: 'oncall@corp.example', filter: { watchIds, resourceTypes: ['dataset', 'correction_session'], changes: ['status', 'grade'] } },
    });

    expect(result.status).toBe(422);
    expect(result.json.errors[0]).toMatchObject({ path: 'filter.watchIds', message: expect.stringContaining('over SNS') });
    expect(api.sns.commandCalls(SubscribeCommand)).toHaveLength(0);
    expect((await api.call('GET', '/v1/subscriptions', { token: teamA })).json.items).toEqual([]);
  });

  it('unsubscribes from SNS before it removes the item, and a DELETE that failed in between can be retried', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });
    const order: string[] = [];
    api.sns.on(UnsubscribeCommand).callsFake(async () => {
      order.push('unsubscribe');
      return {};
    });
    const remove = api.deps.subscriptions.delete.bind(api.deps.subscriptions);
    let failRemoval = true;
    api.deps.subscriptions.delete = async (team, id) => {
      order.push('delete item');
      if (failRemoval) {
        failRemoval = false;
        throw new Error('connection reset');
      }
      return remove(team, id);
    };

    const first = await api.call('DELETE', `/v1/subscriptions/${created.id}`, { token: teamA });
    const stillThere = await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA });
    // The first attempt's Unsubscribe went through: SNS no longer knows the subscription.
    api.sns.on(UnsubscribeCommand).rejects(new NotFoundException({ message: 'Subscription does not exist', $metadata: {} }));
    const retried = await api.call('DELETE', `/v1/subscriptions/${created.id}`, { token: teamA });
    const gone = await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA });

    expect(order.slice(0, 2)).toEqual(['unsubscribe', 'delete item']);
    expect([first.status, stillThere.status, retried.status, gone.status]).toEqual([500, 200, 204, 404]);
  });

  it('keeps the item, and says so, when SNS refuses to unsubscribe', async () => {
    const { json: created } = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'email', address: 'oncall@corp.example' } });
    api.sns.on(UnsubscribeCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AuthorizationErrorException' }));

    const result = await api.call('DELETE', `/v1/subscriptions/${created.id}`, { token: teamA });
    const read = await api.call('GET', `/v1/subscriptions/${created.id}`, { token: teamA });

    expect(result.status).toBe(500);
    expect(read.status).toBe(200);
  });

  it.each([
    [{ channel: 'webhook', url: 'http://receiver.example.com/hook' }, 422, 'url', 'https'],
    [{ channel: 'webhook', url: 'https://169.254.169.254/latest/meta-data' }, 422, 'url', 'private'],
    [{ channel: 'webhook', url: 'http://127.0.0.1:9000/hook' }, 422, 'url', 'https'],
    [{ channel: 'slack', url: 'https://example.com/services/T/B/C' }, 422, 'url', 'Slack'],
    [{ channel: 'email', address: 'not-an-address' }, 400, 'address', ''],
    [{ channel: 'pager', url: 'https://x.example.com' }, 400, 'channel', ''],
  ])('refuses %j naming the field (400 for a malformed body, 422 for a URL Watchpost will not post to)', async (body, status, path, message) => {
    const result = await api.call('POST', '/v1/subscriptions', { token: teamA, body });

    expect(result.status).toBe(status);
    expect(result.json.errors[0]).toMatchObject({ path, message: expect.stringContaining(message) });
  });

  it('admits a loopback receiver only with the local switch', async () => {
    api = await apiHarness(dynamo, simulator, { allowPrivateWebhooks: true });
    const token = await api.createTeam('dev');

    const created = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'http://127.0.0.1:9000/hook' } });

    expect(created.status).toBe(201);
  });

  it('keeps subscriptions per team and deletes them', async () => {
    const created = await api.call('POST', '/v1/subscriptions', { token: teamA, body: { channel: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abc' } });

    const asB = await api.call('GET', `/v1/subscriptions/${created.json.id}`, { token: teamB });
    const deleteAsB = await api.call('DELETE', `/v1/subscriptions/${created.json.id}`, { token: teamB });
    const deleted = await api.call('DELETE', `/v1/subscriptions/${created.json.id}`, { token: teamA });
    const after = await api.call('GET', `/v1/subscriptions/${created.json.id}`, { token: teamA });

    expect([asB.status, deleteAsB.status, deleted.status, after.status]).toEqual([404, 404, 204, 404]);
  });

  it('answers 409 once the team has reached its subscription limit', async () => {
    api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 10, subscriptionsPerTeam: 1 } });
    const token = await api.createTeam('small');
    await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'a@corp.example' } });

    const result = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'email', address: 'b@corp.example' } });

    expect(result.status).toBe(409);
  });
});

describe('errors', () => {
  it('answers an unexpected failure with an opaque 500 and logs it', async () => {
    api = await apiHarness(dynamo, simulator, {
      fetcher: { fetchState: async () => { throw new Error('secret internal detail'); }, latestRunOf: async () => { throw new Error('secret internal detail'); } },
    });
    const token = await api.createTeam('t');

    const result = await api.call('POST', '/v1/watches', { token, body: datasetWatch });

    expect(result.status).toBe(500);
    expect(JSON.stringify(result.json)).not.toContain('secret internal detail');
    expect(api.logger.at('error')[0]?.message).toBe('unhandled API error');
  });

  it('serves a health check without a token', async () => {
    expect((await api.call('GET', '/healthz')).json).toEqual({ status: 'ok' });
  });
});

describe('forged cursors inside the team’s own partition', () => {
  const forge = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it.each([
    ['/v1/subscriptions', { pk: 'TEAM#team-a', sk: 'TOKEN' }],
    ['/v1/subscriptions', { pk: 'TEAM#team-a', sk: 'QUOTA#watches' }],
    ['/v1/watches', { pk: 'WATCH#x', sk: 'EVENT#1', teamPk: 'TEAM#team-a', teamSk: 'SUB#1' }],
  ])('answers 400 naming the cursor for %s with a key of another kind', async (path, key) => {
    const result = await api.call('GET', path, { token: teamA, query: { cursor: forge(key) } });

    expect(result.status).toBe(400);
    expect(result.json.errors[0].path).toBe('cursor');
    expect(api.logger.at('error')).toEqual([]);
  });

  it('answers 400 for an events cursor that is not an event key of that watch', async () => {
    const { json: watch } = await api.call('POST', '/v1/watches', { token: teamA, body: datasetWatch });

    const result = await api.call('GET', `/v1/watches/${watch.id}/events`, { token: teamA, query: { cursor: forge({ pk: `WATCH#${watch.id}`, sk: 'WATCH' }) } });

    expect(result.status).toBe(400);
  });
});
