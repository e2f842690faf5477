import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { contractProblems, type Endpoint } from './contracts';

/**
 * The simulator answers in the published shapes: every answer it gives, in
 * every state its lifecycles reach, conforms to the same closed schemas the
 * contract fixtures do. A key it misnames (`data` for `datasets`) or invents
 * fails here, whatever the clients expect.
 */
let simulator: UpstreamSimulator;
let token = '';

beforeAll(async () => {
  simulator = await startSimulator();
  // Every dataset state: a lifecycle walked step by step, plus the two no lifecycle step reaches.
  simulator.putDataset('ds_new');
  simulator.putDataset('ds_waiting', { status: 'awaiting_input' });
  simulator.putDataset('ds_skipped', { status: 'succeeded', evaluation_status: 'skipped' });
  simulator.putDataset('ds_seed_error', { status: 'failed', error_data: undefined, error: { message: 'older shape' } });
  for (let step = 1; step <= 6; step++) {
    simulator.putDataset(`ds_step_${step}`);
    for (let i = 0; i < step; i++) simulator.advance(`datasets/ds_step_${step}`);
  }
  for (let step = 0; step <= 4; step++) {
    simulator.putCorrection(7, step + 1);
    for (let i = 0; i < step; i++) simulator.advance(`projects/7/corrections/${step + 1}`);
  }
  const login = await fetch(`${simulator.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SIMULATOR_DEFAULTS.deepOpinion) });
  const body = (await login.json()) as Record<string, unknown>;
  expect(contractProblems('deepopinion/login', body)).toEqual([]);
  token = String(body.auth_token);
});
afterAll(() => simulator.close());

async function get(path: string, bearer: string = SIMULATOR_DEFAULTS.adaptionApiKey): Promise<unknown> {
  const response = await fetch(`${simulator.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  expect(response.status, path).toBe(200);
  return response.json();
}

function conforms(endpoint: Endpoint, body: unknown, what: string): void {
  expect(contractProblems(endpoint, body), what).toEqual([]);
}

describe('the simulator serves the published shapes', () => {
  it('the dataset list, every page, under `datasets`', async () => {
    const first = (await get('/api/v1/datasets?sort=updated_at&sort_direction=desc&limit=5')) as { datasets: unknown[]; next_cursor: string | null };
    conforms('adaption/dataset-list', first, 'first page');
    expect(first.datasets).toHaveLength(5);
    const second = await get(`/api/v1/datasets?sort=updated_at&sort_direction=desc&limit=100&cursor=${first.next_cursor}`);
    conforms('adaption/dataset-list', second, 'last page');
    expect(second).toMatchObject({ next_cursor: null });
  });

  it('each dataset’s single GET, status and evaluation, in every state', async () => {
    const statuses = new Set<string>();
    for (const datasetId of simulator.datasets.keys()) {
      const single = await get(`/api/v1/datasets/${datasetId}`);
      const status = (await get(`/api/v1/datasets/${datasetId}/status`)) as { status: string };
      conforms('adaption/dataset-get', single, datasetId);
      conforms('adaption/dataset-status', status, `${datasetId}/status`);
      conforms('adaption/dataset-evaluation', await get(`/api/v1/datasets/${datasetId}/evaluation`), `${datasetId}/evaluation`);
      statuses.add(status.status);
    }
    // The states covered are every documented one.
    expect([...statuses].sort()).toEqual(['awaiting_input', 'failed', 'pending', 'running', 'succeeded']);
  });

  it('a dataset awaiting input shows as pending on the single GET, awaiting_input on the list and the status endpoint', async () => {
    const list = (await get('/api/v1/datasets?limit=100')) as { datasets: Array<{ dataset_id: string; status: string }> };

    expect(list.datasets.find((d) => d.dataset_id === 'ds_waiting')?.status).toBe('awaiting_input');
    expect(await get('/api/v1/datasets/ds_waiting')).toMatchObject({ status: 'pending' });
    expect(await get('/api/v1/datasets/ds_waiting/status')).toMatchObject({ status: 'awaiting_input' });
    expect(await get('/api/v1/datasets/ds_skipped/evaluation')).toEqual({ dataset_id: 'ds_skipped', status: 'skipped', quality: null, raw_results: null });
  });

  it('correction sessions, one by one and as a project’s list, in every lifecycle step', async () => {
    const list = (await get('/projects/7/corrections', token)) as Array<{ id: number; status: string }>;
    conforms('deepopinion/correction-list', list, 'list');
    expect(list.map((session) => session.status)).toEqual(['CREATED', 'SAMPLING', 'PREDICTING', 'ANNOTATING', 'FINISHED']);
    for (const { id } of list) conforms('deepopinion/correction-get', await get(`/projects/7/corrections/${id}`, token), `session ${id}`);
  });
});
