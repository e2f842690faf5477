import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCli } from '../../lambdas/cli/admin';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';

// One runtime for the file: the tests create different teams and watches.
let dataDir: string;
let runtime: LocalRuntime;
let removeDataDir: () => Promise<void>;

beforeAll(async () => {
  ({ runtime, dataDir, removeDataDir } = await startTestRuntime());
});
afterAll(async () => {
  await runtime.close();
  await removeDataDir();
});

describe('the watch API over a real socket inside the local runtime', () => {
  const call = (path: string, init: { method?: string; token?: string; body?: unknown } = {}) =>
    fetch(`${runtime.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });

  it('goes from a new team to its first event', async () => {
    const adminToken = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const team = (await (await call('/v1/admin/teams', { method: 'POST', token: adminToken, body: { name: 'ml-platform' } })).json()) as { token: string };
    const created = await call('/v1/watches', { method: 'POST', token: team.token, body: { resource: { type: 'dataset', datasetId: 'ds_demo_1' } } });
    const watch = (await created.json()) as { id: string };

    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    const events = (await (await call(`/v1/watches/${watch.id}/events`, { token: team.token })).json()) as { items: unknown[] };

    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({ type: 'io.watchpost.resource.changed', data: { team: 'ml-platform', changes: [{ field: 'status', from: 'pending', to: 'running' }] } });
  });

  it('answers 413 to an oversized body before reading it into memory', async () => {
    const response = await call('/v1/watches', { method: 'POST', token: 'x', body: 'x'.repeat(20_000) });

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('serves the OpenAPI document and the health check', async () => {
    const [openapi, health] = await Promise.all([call('/v1/openapi.json'), call('/healthz')]);

    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
    expect(health.status).toBe(200);
  });
});

describe('the admin CLI', () => {
  it('creates a team with the local admin token and prints its token once', async () => {
    const out: string[] = [];
    const err: string[] = [];

    const code = await runAdminCli(['create-team', 'data-eng'], { env: { WATCHPOST_API_URL: runtime.apiUrl, WATCHPOST_DATA_DIR: dataDir }, out: (l) => out.push(l), err: (l) => err.push(l) });

    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out[1]).toMatch(/^wpt_/);
  });

  it('lets an operator give a team another token, list its tokens (never the secret) and revoke one', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { env: { WATCHPOST_API_URL: runtime.apiUrl, WATCHPOST_DATA_DIR: dataDir }, out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    await runAdminCli(['create-team', 'tokens-team'], io);
    const first = out[1]!;

    const created = await runAdminCli(['create-token', 'tokens-team', '--name', 'ci', '--expires-in-days', '30'], io);
    const second = out[3]!;
    const tokenId = /^Token (tok_\w+)/.exec(out[2] ?? '')?.[1];
    out.length = 0;
    const listed = await runAdminCli(['list-tokens', 'tokens-team'], io);
    const listing = out.join('\n');
    const teams = await runAdminCli(['list-teams'], io);
    const revoked = await runAdminCli(['revoke-token', 'tokens-team', tokenId ?? ''], io);
    const useRevoked = await fetch(`${runtime.apiUrl}/v1/watches`, { headers: { authorization: `Bearer ${second}` } });
    const useFirst = await fetch(`${runtime.apiUrl}/v1/watches`, { headers: { authorization: `Bearer ${first}` } });
    const unknownTeam = await runAdminCli(['list-tokens', 'no-such-team'], io);
    const missingName = await runAdminCli(['create-token', 'tokens-team'], io);

    expect([created, listed, teams, revoked]).toEqual([0, 0, 0, 0]);
    expect(second).toMatch(/^wpt_/);
    expect(listing).toMatch(/\tci\t/);
    expect(listing).not.toContain(second);
    expect(listing).not.toContain(first);
    expect(out.join('\n')).toContain('tokens-team');
    expect(out.at(-1)).toContain(`Token ${tokenId} revoked`);
    expect([useRevoked.status, useFirst.status]).toEqual([401, 200]);
    expect(unknownTeam).toBe(1);
    expect(missingName).toBe(2);
    expect(err.at(-1)).toContain('create-token needs the team and --name');
  });

  it('explains a refusal and exits non-zero', async () => {
    const err: string[] = [];

    const code = await runAdminCli(['create-team', 'x'], { env: { WATCHPOST_API_URL: runtime.apiUrl, WATCHPOST_ADMIN_TOKEN: 'wrong' }, out: () => undefined, err: (l) => err.push(l) });

    expect(code).toBe(1);
    expect(err[0]).toMatch(/^Failed \(401\)/);
  });

  it('finds the API on WATCHPOST_PORT, as npm start does, with no URL given', async () => {
    const out: string[] = [];
    const port = new URL(runtime.apiUrl).port;

    const code = await runAdminCli(['create-team', 'by-port'], { env: { WATCHPOST_PORT: port, WATCHPOST_DATA_DIR: dataDir }, out: (l) => out.push(l), err: () => undefined });

    expect(code).toBe(0);
    expect(out[1]).toMatch(/^wpt_/);
  });

  it('names the URL it tried and the setting it came from when nothing answers', async () => {
    const err: string[] = [];

    const code = await runAdminCli(['create-team', 'nobody'], { env: { WATCHPOST_PORT: '9', WATCHPOST_ADMIN_TOKEN: 'x' }, out: () => undefined, err: (l) => err.push(l) });

    expect(code).toBe(1);
    expect(err[0]).toContain('http://127.0.0.1:9');
    expect(err[0]).toContain('WATCHPOST_PORT');
    expect(err[0]).toContain('WATCHPOST_API_URL');
  });

  it('prints usage, not a stack trace, for an unknown option', async () => {
    const err: string[] = [];

    const code = await runAdminCli(['create-team', 'x', '--colour'], { env: {}, out: () => undefined, err: (l) => err.push(l) });

    expect(code).toBe(2);
    expect(err.join('\n')).toContain('usage: npm run admin');
  });
});
