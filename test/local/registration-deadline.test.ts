import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';

/*
 * Issue #21: against an upstream that hung, POST /v1/watches ran into the API
 * function's 29 s timeout (API Gateway answered 500, not 503), and the quota
 * unit it had taken was never given back. Here the upstream is a real HTTP
 * server on 127.0.0.1 that holds a dataset's request for 30 s; the runtime's
 * registration deadline is made small (WATCHPOST_API_UPSTREAM_DEADLINE_MS)
 * while the per-attempt timeout stays at its 10 s default, so only the
 * deadline can answer in time.
 */

const HANG_MS = 30_000;
// Small enough to keep the test fast, large enough for a loaded CI machine's answering requests.
const DEADLINE_MS = 2_000;

let upstream: Server;
let upstreamUrl: string;
const held: ServerResponse[] = [];
let hanging = true;
let dataDir: string;
let runtime: LocalRuntime;
let removeDataDir: () => Promise<void>;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    if (request.url === '/api/v1/datasets/ds_hangs' && hanging) {
      held.push(response);
      setTimeout(() => response.destroyed || response.end(), HANG_MS).unref();
      return;
    }
    const id = /^\/api\/v1\/datasets\/([\w-]+)$/.exec(request.url ?? '')?.[1];
    response.writeHead(id ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(id ? { dataset_id: id, status: 'running', evaluation_summary: null, progress: null, error: null } : { detail: 'not found' }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  ({ runtime, dataDir, removeDataDir } = await startTestRuntime({
    env: { ADAPTION_BASE_URL: upstreamUrl, ADAPTION_API_KEY: 'adaption-test-key', WATCHPOST_API_UPSTREAM_DEADLINE_MS: String(DEADLINE_MS) },
  }));
});
afterAll(async () => {
  for (const response of held) response.destroy();
  await runtime?.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  await removeDataDir?.();
});

const call = (path: string, token: string, body?: unknown) =>
  fetch(`${runtime.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('registration against an upstream that hangs', () => {
  it('answers 503 problem+json with Retry-After within the deadline, and the team’s watch counter is unchanged', async () => {
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const team = (await (await call('/v1/admin/teams', adminToken, { name: 'hung-upstream' })).json()) as { team: { id: string }; token: string };
    const teamId = team.team.id;
    const first = await call('/v1/watches', team.token, { resource: { type: 'dataset', datasetId: 'ds_answers' } });
    expect(first.status).toBe(201);
    expect((await runtime.api.quota.read(teamId, 'watches'))?.used).toBe(1);

    const started = Date.now();
    const refused = await call('/v1/watches', team.token, { resource: { type: 'dataset', datasetId: 'ds_hangs' } });
    const elapsed = Date.now() - started;
    const problem = (await refused.json()) as { status: number; type: string; detail: string };

    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(problem).toMatchObject({ status: 503, detail: `The upstream did not answer within ${DEADLINE_MS / 1000} s; try again shortly.` });
    expect(problem.type).toMatch(/upstream-unavailable$/);
    // The upstream was asked, and is still holding the request: only the deadline answered.
    expect(held).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(10_000);
    expect((await runtime.api.quota.read(teamId, 'watches'))?.used).toBe(1);
    const listed = (await (await call('/v1/watches', team.token)).json()) as { items: Array<{ resource: { datasetId: string } }> };
    expect(listed.items.map((watch) => watch.resource.datasetId)).toEqual(['ds_answers']);

    // Once the upstream answers again, the same registration goes through and takes the unit it gave back.
    hanging = false;
    const retried = await call('/v1/watches', team.token, { resource: { type: 'dataset', datasetId: 'ds_hangs' } });
    expect(retried.status).toBe(201);
    expect((await runtime.api.quota.read(teamId, 'watches'))?.used).toBe(2);
  });
});
