import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../lambdas/domain/events';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness } from '../support/poller-harness';

/** Stalls through the real poll path: dynalite, the simulator over HTTP, an injected clock (a minute a tick). */
const SWEEPS = { fullRefreshSeconds: 3600, overlapSeconds: 120 };

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(() => {
  simulator.datasets.clear();
  simulator.corrections.clear();
});

describe('a stall seen by sweeps', () => {
  it('is announced from what the list already shows: no request beyond the sweep’s own', async () => {
    const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
    simulator.putDataset('ds_slow', { status: 'running', progress: { percent: 30, processed_rows: 3, total_rows: 10 }, updated_at: '2026-11-23T09:00:00.000Z' });
    await h.watch({ type: 'dataset', datasetId: 'ds_slow' }, { stalledAfterMinutes: 3 });
    await h.poll(); // baseline: movedAt is this tick
    const quiet = [await h.poll(), await h.poll()]; // 1 and 2 minutes still: nothing to say, nothing fetched

    simulator.resetStats();
    const stalledTick = await h.poll(); // 3 minutes
    const requests = simulator.getStats().byEndpoint;
    await h.poll();
    await h.poll();

    expect(quiet.map((summary) => summary.sweptUnchanged)).toEqual([1, 1]);
    expect(stalledTick.sweptUnchanged).toBe(0);
    expect(requests).toEqual({ datasetList: 1 });
    expect(h.published().map((e) => [e.type, e.data.stall?.minutesWithoutMotion, e.data.stall?.lastProgressPercent])).toEqual([[EVENT_TYPES.stalled, 3, 30]]);
    h.dispose();
  });

  it('ends with resumed when the list shows it moved, then the outcome', async () => {
    const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
    simulator.putDataset('ds_slow', { status: 'running', progress: { percent: 30, processed_rows: 3, total_rows: 10 }, updated_at: '2026-11-23T09:00:00.000Z' });
    await h.watch({ type: 'dataset', datasetId: 'ds_slow' }, { stalledAfterMinutes: 2 });
    for (let tick = 0; tick < 4; tick++) await h.poll();
    simulator.putDataset('ds_slow', { status: 'failed', progress: null, error_data: { message: 'out of memory', code: 'E0500', level: 'error' } });
    await h.poll();

    expect(h.published().map((e) => e.type)).toEqual([EVENT_TYPES.stalled, EVENT_TYPES.resumed, EVENT_TYPES.changed]);
    expect(h.published()[1]?.data.stall).toMatchObject({ resumedStatus: 'failed', lastProgressPercent: 30 });
    h.dispose();
  });
});

describe('two pollers at once', () => {
  it('announce a stall once, under one id, in each of 10 rounds', async () => {
    for (let round = 0; round < 10; round++) {
      const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
      simulator.putCorrection(4, round + 1, { status: 'PREDICTING', progress: 60 });
      simulator.putCorrection(4, round + 100, { status: 'PREDICTING', progress: 10 });
      await h.watch({ type: 'correction_session', projectId: 4, correctionId: round + 1 }, { stalledAfterMinutes: 5 });
      await h.poll(); // baseline
      const due = new Date(Date.parse('2026-11-23T10:00:00Z') + 7 * 60_000);

      await Promise.all([pollWatches(h.deps, due), pollWatches(h.deps, due)]);

      const stalled = h.published().filter((e) => e.type === EVENT_TYPES.stalled);
      expect(stalled, `round ${round}`).toHaveLength(1);
      h.dispose();
    }
  });
});

describe('the watch API', () => {
  it('takes stalledAfterMinutes in whole minutes from 1, shows it, and turns it off with null', async () => {
    simulator.putDataset('ds_api', { status: 'running' });
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('stallers');

    const zero = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_api' }, stalledAfterMinutes: 0 } });
    const half = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_api' }, stalledAfterMinutes: 1.5 } });
    const created = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_api' }, stalledAfterMinutes: 90 } });
    const off = await api.call('PATCH', `/v1/watches/${created.json.id}`, { token, body: { stalledAfterMinutes: null } });
    const plain = await api.call('PATCH', `/v1/watches/${created.json.id}`, { token, body: { label: 'x' } });

    for (const refused of [zero, half]) {
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.json)).toContain('stalledAfterMinutes');
    }
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ stalledAfterMinutes: 90, current: { status: 'running', movedAt: expect.any(String) } });
    expect(off.json.stalledAfterMinutes).toBeNull();
    expect(plain.json.stalledAfterMinutes).toBeNull();
  });
});
