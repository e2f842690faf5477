import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { DeepOpinionAuth } from '../../lambdas/adapters/upstream/deepopinion-auth';
import { DeepOpinionClient } from '../../lambdas/adapters/upstream/deepopinion-client';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { captureLogger } from '../support/logger';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * DeepOpinion's login and project list at their edges, against a scripted
 * HTTP server on 127.0.0.1 standing in for api.deepopinion.ai.
 */
let upstream: Receiver;
const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 1_000 } });
const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
const login = (token: string) => ({ status: 200, body: JSON.stringify({ auth_token: token, message: 'ok', status: 'success' }) });
const session = (id: number, status = 'SAMPLING') => ({ id, status });

beforeEach(async () => {
  upstream = await startReceiver({ status: 500 });
});
afterEach(() => upstream.close());

function auth(now?: () => number) {
  return new DeepOpinionAuth({ baseUrl: upstream.url, credentials: { email: 'ops@corp.example', password: 'pw' }, fetch, ...(now ? { now } : {}) });
}

describe('logging in to DeepOpinion', () => {
  it('posts the credentials as JSON and uses the token it gets', async () => {
    upstream.answer(login('tok-1'));

    expect(await auth().token()).toBe('tok-1');
    expect(upstream.received[0]).toMatchObject({ method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json', accept: 'application/json' } });
    expect(JSON.parse(upstream.received[0]!.body)).toEqual({ email: 'ops@corp.example', password: 'pw' });
  });

  it('uses a configured token as it is, with no login', async () => {
    const configured = new DeepOpinionAuth({ baseUrl: upstream.url, credentials: { token: 'static-jwt' }, fetch });

    expect(await configured.token()).toBe('static-jwt');
    expect(configured.canRefresh).toBe(false);
    expect(upstream.received).toEqual([]);
  });

  it.each([400, 401, 403])('calls a %i answer refused credentials', async (status) => {
    upstream.answer({ status });

    await expect(auth().token()).rejects.toMatchObject({ kind: 'credentials', message: `DeepOpinion login refused (${status})` });
  });

  it('calls any other failed answer the upstream being unavailable', async () => {
    upstream.answer({ status: 502 });

    await expect(auth().token()).rejects.toMatchObject({ kind: 'unavailable', message: 'DeepOpinion login answered 502' });
  });

  it('refuses an answer without a token, naming the field, and one that is not JSON', async () => {
    upstream.answer({ status: 200, body: JSON.stringify({ message: 'ok' }) }, { status: 200, body: '<html>' });

    await expect(auth().token()).rejects.toMatchObject({ kind: 'malformed', message: expect.stringMatching(/^DeepOpinion login response: auth_token: /) });
    await expect(auth().token()).rejects.toMatchObject({ kind: 'malformed', message: expect.stringMatching(/^DeepOpinion login response: \(body\): /) });
  });

  it('refuses a login answer over 64 KiB unread', async () => {
    upstream.answer({ status: 200, headers: { 'content-length': String(64 * 1024 + 1) }, body: 'x'.repeat(64 * 1024 + 1) });

    await expect(auth().token()).rejects.toMatchObject({ kind: 'too_large' });
  });

  it('keeps a token until a minute before its exp, and logs in again from that instant', async () => {
    let clock = 1_800_000_000_000;
    const tokens = auth(() => clock);
    upstream.answer(login(jwt({ exp: 1_800_000_000 + 3600 })), login('second'));
    const first = await tokens.token();

    clock += 3_600_000 - 60_001;
    const stillFirst = await tokens.token();
    clock += 1;
    const renewed = await tokens.token();

    expect([stillFirst, renewed]).toEqual([first, 'second']);
    expect(upstream.received).toHaveLength(2);
  });

  it('forgets only the token that was rejected', async () => {
    const tokens = auth();
    upstream.answer(login('current'));
    await tokens.token();

    tokens.invalidate('an-older-one');
    const kept = await tokens.token();

    expect(kept).toBe('current');
    expect(upstream.received).toHaveLength(1);
  });
});

describe('a project’s session list', () => {
  const client = () => new DeepOpinionClient({ baseUrl: `${upstream.url}/`, auth: auth(), fetch, logger: captureLogger() });

  it('reads each entry as its own GET, skips one without an id, and fails only a bad one', async () => {
    upstream.answer(login('tok'), { status: 200, body: JSON.stringify([session(3), { status: 'FINISHED' }, { id: 4, status: 9 }, session(5, 'FINISHED')]) });

    const listed = await client().listProjectSessions(7);

    expect(upstream.received[1]).toMatchObject({ path: '/projects/7/corrections', headers: { authorization: 'Bearer tok', accept: 'application/json' } });
    expect(listed.ok).toBe(true);
    const sessions = listed.ok ? listed.sessions : new Map();
    expect([...sessions.keys()]).toEqual([3, 4, 5]);
    expect(sessions.get(3)).toMatchObject({ outcome: 'found', snapshot: { status: 'SAMPLING' } });
    expect(sessions.get(4)).toMatchObject({ outcome: 'failed', error: { kind: 'malformed', message: expect.stringMatching(/^projects\/7\/corrections\/4: malformed response: status: /) } });
  });

  it.each([0, -2, 1.5, Number.MAX_SAFE_INTEGER + 2])('refuses project id %s before anything is sent', async (projectId) => {
    expect(await client().listProjectSessions(projectId)).toEqual({ ok: false, error: { kind: 'invalid_request', message: `projects/${projectId}/corrections: invalid project id` } });
    expect(upstream.received).toEqual([]);
  });

  it('reads project 1, the lowest id', async () => {
    upstream.answer(login('tok'), { status: 200, body: '[]' });

    expect(await client().listProjectSessions(1)).toEqual({ ok: true, sessions: new Map() });
  });

  it('logs in again once after a 401 on the list, then reads it', async () => {
    upstream.answer(login('old'), { status: 401 }, login('new'), { status: 200, body: JSON.stringify([session(3)]) });

    const listed = await client().listProjectSessions(7);

    expect(listed.ok).toBe(true);
    expect(upstream.received.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/auth/login', undefined],
      ['/projects/7/corrections', 'Bearer old'],
      ['/auth/login', undefined],
      ['/projects/7/corrections', 'Bearer new'],
    ]);
  });

  it('fails a list the upstream refuses, and one whose login fails', async () => {
    upstream.answer(login('tok'), { status: 503 }, { status: 403 });

    expect(await client().listProjectSessions(7)).toEqual({ ok: false, error: { kind: 'unavailable', message: 'projects/7/corrections: upstream answered 503' } });
    expect(await client().listProjectSessions(8)).toMatchObject({ ok: false, error: { kind: 'credentials', message: 'projects/8/corrections: DeepOpinion login refused (403)' } });
  });

  it('refuses a malformed session id, naming it, before anything is sent', async () => {
    const outcome = await client().fetchCorrectionSession({ type: 'correction_session', projectId: 0, correctionId: 2 });

    expect(outcome).toEqual({ outcome: 'failed', error: { kind: 'invalid_request', message: 'invalid correction session id projects/0/corrections/2' } });
    expect(upstream.received).toEqual([]);
  });
});

describe('a provider with no credentials configured', () => {
  const fetcher = new UpstreamFetcher(undefined, undefined);

  it('answers each request with a credentials failure that says what to set', async () => {
    expect(await fetcher.fetchState({ type: 'dataset', datasetId: 'ds_1' })).toEqual({
      outcome: 'failed',
      error: { kind: 'credentials', message: 'no Adaption Labs API key is configured (ADAPTION_API_KEY)' },
    });
    expect(await fetcher.fetchState({ type: 'correction_session', projectId: 1, correctionId: 2 })).toEqual({
      outcome: 'failed',
      error: { kind: 'credentials', message: 'no DeepOpinion credentials are configured (DEEPOPINION_TOKEN or DEEPOPINION_EMAIL/PASSWORD)' },
    });
    expect(await fetcher.listProjectSessions(1)).toEqual({ ok: false, error: { kind: 'credentials', message: 'no DeepOpinion credentials are configured' } });
    expect(await fetcher.sweepDatasets(null)).toEqual({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
  });
});
