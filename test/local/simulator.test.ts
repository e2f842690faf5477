import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
