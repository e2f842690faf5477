import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { DeepOpinionAuth } from '../../lambdas/adapters/upstream/deepopinion-auth';
import { DeepOpinionClient } from '../../lambdas/adapters/upstream/deepopinion-client';
import { captureLogger } from '../support/logger';
import { contractProblems, fixture, fixtures, startFixtureServer, type FixtureServer } from './contracts';

/** The DeepOpinion client against bodies written from the seed page and upstream-apis.md, over HTTP. */
let server: FixtureServer;
const logger = captureLogger();
const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 2_000 } });
const client = (auth?: DeepOpinionAuth) =>
  new DeepOpinionClient({ baseUrl: server.url, auth: auth ?? new DeepOpinionAuth({ baseUrl: server.url, credentials: { token: 'static' }, fetch }), fetch, logger });

beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  logger.entries.length = 0;
});

describe('the fixtures themselves', () => {
  it.each(['correction-get', 'correction-list', 'login'] as const)('%s: every documented body conforms to the closed schema, and the extra-fields body does not', (endpoint) => {
    for (const [name, body] of fixtures(`deepopinion/${endpoint}`)) {
      if (name === 'extra-fields') expect(contractProblems(`deepopinion/${endpoint}`, body).some((p) => p.includes('must NOT have additional properties')), name).toBe(true);
      else expect(contractProblems(`deepopinion/${endpoint}`, body), name).toEqual([]);
    }
  });
});

const SESSION = '/projects/1/corrections/1';

describe('GET /projects/{p}/corrections/{c} parses every published body', () => {
  it('the seed page’s example, field by field', async () => {
    server.answer(SESSION, fixture('deepopinion/correction-get', 'seed'));

    expect(await client().fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 1 })).toEqual({
      outcome: 'found',
      snapshot: {
        status: 'CREATED',
        grade: null,
        score: 0,
        progressPercent: 87.7,
        details: {
          name: 'This is my first correction session',
          uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
          type: 'ABSA',
          documentCount: 100,
          modelName: 'This is my model',
          created: '2023-11-02',
          finished: '2023-11-02',
        },
      },
    });
  });

  it.each([
    ['required-only', { status: 'SAMPLING', score: null, progressPercent: null, details: { finished: null, name: null } }],
    ['nulls', { status: 'PREDICTING', score: 71, progressPercent: 12.5, details: { finished: null, name: 'Running session' } }],
    ['extra-fields', { status: 'FINISHED', score: 88, progressPercent: 100, details: { finished: '2026-12-01T12:00:00Z' } }],
  ])('%s', async (name, expected) => {
    server.answer(SESSION, fixture('deepopinion/correction-get', name));

    expect(await client().fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 1 })).toMatchObject({ outcome: 'found', snapshot: expected });
    expect(logger.at('warn')).toEqual([]);
  });
});

describe('GET /projects/{p}/corrections parses every published list', () => {
  it.each([...fixtures('deepopinion/correction-list')])('%s: one entry per session, each read as its single GET', async (_name, body) => {
    const entries = body as Array<{ id: number; status: string }>;
    server.answer('/projects/1/corrections', entries);

    const listed = await client().listProjectSessions(1);

    expect(listed.ok).toBe(true);
    const sessions = listed.ok ? listed.sessions : new Map();
    expect([...sessions.keys()]).toEqual(entries.map((entry) => entry.id));
    for (const entry of entries) expect(sessions.get(entry.id)).toMatchObject({ outcome: 'found', snapshot: { status: entry.status } });
  });
});

describe('POST /auth/login parses every published answer', () => {
  it.each([...fixtures('deepopinion/login')])('%s: its auth_token is the bearer of the next request', async (_name, body) => {
    server.answer('/auth/login', body);
    server.answer(SESSION, fixture('deepopinion/correction-get', 'required-only'));
    const auth = new DeepOpinionAuth({ baseUrl: server.url, credentials: { email: 'a@b.c', password: 'p' }, fetch });

    expect(await auth.token()).toBe((body as { auth_token: string }).auth_token);
    expect(await client(auth).fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 1 })).toMatchObject({ outcome: 'found' });
  });
});
