import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceDataset, newDataset } from '../../lambdas/local/simulator/lifecycle';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';

let simulator: UpstreamSimulator;
beforeAll(async () => {
  simulator = await startSimulator();
});
afterAll(() => simulator.close());

const control = (path: string, method: string, body?: unknown) =>
  fetch(`${simulator.url}/_sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
const dataset = (id: string) => fetch(`${simulator.url}/api/v1/datasets/${id}`, { headers: { authorization: `Bearer ${SIMULATOR_DEFAULTS.adaptionApiKey}` } });

describe('the simulator’s control API', () => {
  it('creates a resource and walks it through its lifecycle', async () => {
    await control('/datasets/ds_ctl', 'PUT', { status: 'pending' });
    const seen: string[] = [];
    for (let step = 0; step < 3; step++) {
      await control('/advance', 'POST', { resource: 'datasets/ds_ctl' });
      seen.push(((await (await dataset('ds_ctl')).json()) as { status: string }).status);
    }

    expect(seen).toEqual(['running', 'running', 'succeeded']);
    expect(((await (await dataset('ds_ctl')).json()) as { evaluation_summary: { grade_after: string } }).evaluation_summary.grade_after).toBe('B');
  });

  it('answers 404 naming the expected form when asked to advance a resource it does not have', async () => {
    const response = await control('/advance', 'POST', { resource: 'datasets/ds_never_created' });

    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toContain('datasets/ds_1');
  });

  it('injects a fault for a number of requests, with Retry-After', async () => {
    await control('/datasets/ds_fault', 'PUT', {});
    await control('/faults', 'POST', { path: '/api/v1/datasets/ds_fault', status: 429, retryAfter: '3', times: 1 });

    const first = await dataset('ds_fault');
    const second = await dataset('ds_fault');

    expect([first.status, first.headers.get('retry-after'), second.status]).toEqual([429, '3', 200]);
  });

  it('deletes a resource so the API answers 404, and counts requests', async () => {
    await control('/datasets/ds_gone', 'PUT', {});
    await control('/datasets/ds_gone', 'DELETE');

    const response = await dataset('ds_gone');
    const stats = (await (await control('/stats', 'GET')).json()) as { byStatus: Record<string, number> };

    expect(response.status).toBe(404);
    expect(stats.byStatus['404']).toBeGreaterThanOrEqual(1);
  });

  it('serves a project’s correction sessions as a bare array, filtered by status', async () => {
    await control('/projects/3/corrections/1', 'PUT', { status: 'SAMPLING' });
    await control('/projects/3/corrections/2', 'PUT', { status: 'FINISHED' });
    const login = (await (await fetch(`${simulator.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIMULATOR_DEFAULTS.deepOpinion) })).json()) as { auth_token: string };

    const list = await fetch(`${simulator.url}/projects/3/corrections?status=FINISHED`, { headers: { authorization: `Bearer ${login.auth_token}` } });

    expect(((await list.json()) as Array<{ id: number }>).map((c) => c.id)).toEqual([2]);
  });
});

describe('the simulator’s dataset list', () => {
  const list = async (query: string) =>
    (await (await fetch(`${simulator.url}/api/v1/datasets?${query}`, { headers: { authorization: `Bearer ${SIMULATOR_DEFAULTS.adaptionApiKey}` } })).json()) as {
      datasets: Array<{ dataset_id: string; updated_at: string }>;
      next_cursor: string | null;
    };

  it('sorts by updated_at newest first, pages with a cursor, caps limit at 100, and counts requests by endpoint', async () => {
    simulator.datasets.clear();
    for (let i = 0; i < 130; i++) simulator.putDataset(`ds_${String(i).padStart(3, '0')}`, { updated_at: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString() });
    simulator.putDataset('ds_005', { status: 'running' }); // moves: updated_at is now
    simulator.resetStats();

    const first = await list('sort=updated_at&sort_direction=desc&limit=500');
    const second = await list(`sort=updated_at&sort_direction=desc&limit=500&cursor=${first.next_cursor}`);

    expect(first.datasets).toHaveLength(100);
    expect(first.datasets[0]?.dataset_id).toBe('ds_005');
    expect(first.datasets[1]?.dataset_id).toBe('ds_129');
    expect(second.datasets).toHaveLength(30);
    expect(second.next_cursor).toBeNull();
    expect(new Set([...first.datasets, ...second.datasets].map((d) => d.dataset_id)).size).toBe(130);
    expect(simulator.getStats().byEndpoint).toEqual({ datasetList: 2 });
  });
});

describe('the simulated dataset lifecycle', () => {
  it('alternates outcomes: run 1 succeeds (D → B), run 2 fails with an error and keeps the evaluation, run 3 succeeds (B → A)', () => {
    let record = newDataset('ds_story', '2026-11-24T09:00:00Z');
    const seen: string[] = [];
    for (let step = 0; step < 12; step++) {
      record = advanceDataset(record, '2026-11-24T09:00:00Z');
      const summary = record.evaluation_summary as { grade_before: string; grade_after: string } | null;
      const error = record.error_data as { message: string } | null;
      seen.push(`${record.run_id} ${record.status}${summary ? ` ${summary.grade_before}→${summary.grade_after}` : ''}${error ? ' error' : ''}`);
    }

    expect(seen).toEqual([
      'run_ds_story_1 running',
      'run_ds_story_1 running',
      'run_ds_story_1 succeeded D→B',
      'run_ds_story_2 pending D→B',
      'run_ds_story_2 running D→B',
      'run_ds_story_2 running D→B',
      'run_ds_story_2 failed D→B error',
      'run_ds_story_3 pending D→B',
      'run_ds_story_3 running D→B',
      'run_ds_story_3 running D→B',
      'run_ds_story_3 succeeded B→A',
      'run_ds_story_4 pending B→A',
    ]);
  });
});
