import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { TeamQuota } from '../../lambdas/adapters/dynamo/team-quota';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  simulator = await startSimulator();
});

afterAll(async () => {
  await simulator.close();
  await dynamo.close();
});

beforeEach(() => {
  simulator.clearFaults();
});

const dataset = (datasetId: string) => ({ resource: { type: 'dataset', datasetId } });

/**
 * How many requests race. The suite fires the full crowd; `npm run mutate`
 * (vitest.mutate.config.ts) fires a fifth of it for each mutant it tests: a
 * broken guard or limit still lets two of 40 through, and the run stays
 * affordable on two cores.
 */
const RACE_SCALE = Number(process.env.WATCHPOST_RACE_SCALE ?? 1);
const crowd = (full: number) => Math.max(20, Math.round(full * RACE_SCALE));

describe('one watch per (team, resource)', () => {
  it('creates exactly one watch when 200 registrations of one resource race, in each of 25 trials', async () => {
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('racers');
    const outcomes: Array<{ created: number; ids: number }> = [];

    // 25 trials in the suite; `npm run mutate` runs fewer per mutant (vitest.mutate.config.ts).
    const trials = Number(process.env.WATCHPOST_RACE_TRIALS ?? 25);
    for (let trial = 0; trial < trials; trial++) {
      simulator.putDataset(`ds_race_${trial}`, { status: 'running' });
      const results = await Promise.all(Array.from({ length: crowd(200) }, () => api.call('POST', '/v1/watches', { token, body: dataset(`ds_race_${trial}`) })));
      outcomes.push({ created: results.filter((r) => r.status === 201).length, ids: new Set(results.map((r) => r.json.id)).size });
      expect(results.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    }

    expect(outcomes).toEqual(Array.from({ length: trials }, () => ({ created: 1, ids: 1 })));
    const listed = await api.call('GET', '/v1/watches', { token, query: { limit: '100' } });
    expect(listed.json.items).toHaveLength(trials);
    const pollable: string[] = [];
    for await (const page of new DynamoPollStore({ client: dynamo.client, tableName: api.tableName }).pollablePages()) pollable.push(...page.map((w) => w.watchId));
    expect(pollable).toHaveLength(trials);
  }, 120_000);

  it('gives a re-created watch new event ids: the version carries on over the deleted one', async () => {
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('again');
    const polls = new DynamoPollStore({ client: dynamo.client, tableName: api.tableName });
    const { pollWatches } = await import('../../lambdas/domain/poll-watches');
    const published: string[] = [];
    const deps = {
      store: polls,
      fetcher: api.deps.fetcher,
      publisher: { publish: async (events: Array<{ id: string }>) => (published.push(...events.map((e) => e.id)), { failedIds: [], errors: [] }) },
      logger: api.logger,
      policy: { concurrency: 4, failureThreshold: 3, heartbeatSeconds: 3600 },
    };
    simulator.putDataset('ds_again', { status: 'pending' });
    const first = await api.call('POST', '/v1/watches', { token, body: dataset('ds_again') });
    simulator.putDataset('ds_again', { status: 'running' });
    await pollWatches(deps, new Date('2026-11-23T12:01:00Z'));

    await api.call('DELETE', `/v1/watches/${first.json.id}`, { token });
    simulator.putDataset('ds_again', { status: 'pending' });
    const second = await api.call('POST', '/v1/watches', { token, body: dataset('ds_again') });
    simulator.putDataset('ds_again', { status: 'running' });
    await pollWatches(deps, new Date('2026-11-23T12:02:00Z'));

    expect(second.status).toBe(201);
    expect(second.json.id).toBe(first.json.id);
    expect(published).toHaveLength(2);
    expect(new Set(published).size).toBe(2);
  });

  it('makes a poll that read a watch before it was deleted lose its write', async () => {
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('stale');
    simulator.putDataset('ds_stale', { status: 'pending' });
    const created = await api.call('POST', '/v1/watches', { token, body: dataset('ds_stale') });
    const stale = await api.deps.watches.getWatch(created.json.id);

    await api.call('DELETE', `/v1/watches/${created.json.id}`, { token });
    const committed = await new DynamoPollStore({ client: dynamo.client, tableName: api.tableName }).commit(created.json.id, stale!.version, {
      newVersion: stale!.version + 1,
      snapshot: stale!.snapshot,
      state: 'active',
      consecutiveFailures: 0,
      lastError: null,
      lastPolledAt: '2026-11-23T12:05:00Z',
      enqueue: [],
    });

    expect(committed).toBe(false);
    expect(await api.deps.watches.getWatch(created.json.id)).toBeUndefined();
  });
});

describe('exact per-team limits', () => {
  it('lets exactly 5 of 300 concurrent creates through a limit of 5', async () => {
    const api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 5, subscriptionsPerTeam: 50 } });
    const token = await api.createTeam('crowd');
    const creates = crowd(300);
    for (let i = 0; i < creates; i++) simulator.putDataset(`ds_crowd_${i}`);

    const results = await Promise.all(Array.from({ length: creates }, (_, i) => api.call('POST', '/v1/watches', { token, body: dataset(`ds_crowd_${i}`) })));

    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409)).toHaveLength(creates - 5);
    expect(await api.deps.watches.countByTeam('crowd')).toBe(5);
  });

  it('lets exactly 50 of 120 concurrent subscriptions through a limit of 50', async () => {
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('subscribers');

    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: `https://hooks.example.com/${i}` } })),
    );

    expect(results.filter((r) => r.status === 201)).toHaveLength(50);
    expect(await api.deps.subscriptions.count('subscribers')).toBe(50);
  });

  it('gives the quota back when a create fails half-way', async () => {
    const api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 1, subscriptionsPerTeam: 50 } });
    const token = await api.createTeam('unlucky');
    simulator.putDataset('ds_ok');
    simulator.addFault({ path: '/api/v1/datasets/ds_ok', status: 503, times: 1 });

    const failed = await api.call('POST', '/v1/watches', { token, body: dataset('ds_ok') });
    const missing = await api.call('POST', '/v1/watches', { token, body: dataset('ds_not_there') });
    const succeeded = await api.call('POST', '/v1/watches', { token, body: dataset('ds_ok') });

    expect([failed.status, missing.status, succeeded.status]).toEqual([503, 422, 201]);
    expect(await api.deps.quota.read('unlucky', 'watches')).toMatchObject({ used: 1 });
  });

  it('frees a unit of quota when a watch or a subscription is deleted', async () => {
    const api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 1, subscriptionsPerTeam: 1 } });
    const token = await api.createTeam('recycler');
    simulator.putDataset('ds_r1');
    simulator.putDataset('ds_r2');
    const watch = await api.call('POST', '/v1/watches', { token, body: dataset('ds_r1') });
    const sub = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'https://hooks.example.com/a' } });

    await api.call('DELETE', `/v1/watches/${watch.json.id}`, { token });
    await api.call('DELETE', `/v1/subscriptions/${sub.json.id}`, { token });
    const nextWatch = await api.call('POST', '/v1/watches', { token, body: dataset('ds_r2') });
    const nextSub = await api.call('POST', '/v1/subscriptions', { token, body: { channel: 'webhook', url: 'https://hooks.example.com/b' } });

    expect([nextWatch.status, nextSub.status]).toEqual([201, 201]);
  });

  it('repairs a counter left high by a crash once it has been still long enough, and not before', async () => {
    const api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 2, subscriptionsPerTeam: 50 } });
    const token = await api.createTeam('crashy');
    simulator.putDataset('ds_c1');
    simulator.putDataset('ds_c2');
    await api.call('POST', '/v1/watches', { token, body: dataset('ds_c1') });
    // A process took a unit and died before creating anything.
    const crashedAt = new Date('2026-11-23T12:00:00Z');
    expect(await api.deps.quota.reserve('crashy', 'watches', 2, crashedAt)).toBe(true);

    const quota = TeamQuota.forTable(dynamo.client, api.tableName, 120_000);
    const soon = await quota.reserve('crashy', 'watches', 2, new Date('2026-11-23T12:01:00Z'));
    const later = await quota.reserve('crashy', 'watches', 2, new Date('2026-11-23T12:02:01Z'));

    expect(soon).toBe(false);
    expect(later).toBe(true);
    expect(await quota.read('crashy', 'watches')).toMatchObject({ used: 2 });
  });

  it('starts a team’s counter from what it already has', async () => {
    const api = await apiHarness(dynamo, simulator, { limits: { watchesPerTeam: 2, subscriptionsPerTeam: 50 } });
    await api.createTeam('legacy');
    const { createWatch, watchIdFor } = await import('../../lambdas/domain/watch');
    for (const datasetId of ['ds_l1', 'ds_l2']) {
      const resource = { type: 'dataset' as const, datasetId };
      await api.deps.watches.putWatch(createWatch({ watchId: watchIdFor('legacy', resource), team: 'legacy', resource }, new Date()));
    }

    expect(await api.deps.quota.reserve('legacy', 'watches', 2, new Date())).toBe(false);
    expect(await api.deps.quota.reserve('legacy', 'watches', 3, new Date())).toBe(true);
  });
});
