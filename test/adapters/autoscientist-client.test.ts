import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { AutoScientistClient } from '../../lambdas/adapters/upstream/autoscientist-client';
import { RunResponseSchema, runSnapshot } from '../../lambdas/adapters/upstream/autoscientist-schema';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { captureLogger } from '../support/logger';
import { startReceiver, type Receiver } from '../support/receiver';

/** Contract fixtures written from upstream-apis.md (see test/fixtures/autoscientist/README.md). */
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/autoscientist/${name}`, import.meta.url), 'utf8'));
const body = (value: unknown) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });
const run = (id: string, fields: Record<string, unknown> = {}) => ({ id, status: 'running', created_at: '2026-12-04T09:00:00Z', ...fields });
const page = (runs: unknown[], nextCursor: string | null) => body({ runs, next_cursor: nextCursor });

const details = (fields: Record<string, unknown>) => ({
  datasetId: null,
  model: null,
  trainingMethod: null,
  iterationsCompleted: null,
  maxIterations: null,
  bestWinRate: null,
  targetWinRate: null,
  downloadAvailable: null,
  errorMessage: null,
  createdAt: null,
  completedAt: null,
  ...fields,
});

describe('a run snapshot, from each documented shape', () => {
  it.each([
    [
      'run-documented.json',
      {
        status: 'succeeded',
        grade: null,
        score: 0.82,
        progressPercent: 100,
        details: details({
          datasetId: 'ds_support_q4',
          model: 'llama-3.1-8b-instruct',
          trainingMethod: 'instruction',
          iterationsCompleted: 5,
          maxIterations: 5,
          bestWinRate: 0.82,
          targetWinRate: 0.8,
          downloadAvailable: true,
          createdAt: '2026-12-01T08:00:00Z',
          completedAt: '2026-12-01T11:42:10Z',
        }),
      },
    ],
    ['run-required-only.json', { status: 'pending', grade: null, score: null, progressPercent: null, details: details({}) }],
    [
      'run-nullable-null.json',
      {
        status: 'running',
        grade: null,
        score: null,
        progressPercent: 0,
        details: details({
          datasetId: 'ds_support_q4',
          model: 'llama-3.1-8b-instruct',
          trainingMethod: 'alignment',
          iterationsCompleted: 0,
          maxIterations: 5,
          targetWinRate: 0.75,
          downloadAvailable: false,
          createdAt: '2026-12-04T09:00:00Z',
        }),
      },
    ],
    [
      'run-unknown-extras.json',
      {
        status: 'failed',
        grade: null,
        score: 0.64,
        progressPercent: 40,
        details: details({
          datasetId: 'ds_support_q4',
          model: 'llama-3.1-8b-instruct',
          trainingMethod: 'instruction',
          iterationsCompleted: 2,
          maxIterations: 5,
          bestWinRate: 0.64,
          targetWinRate: 0.8,
          downloadAvailable: false,
          errorMessage: 'Iteration 3 failed: out of GPU memory',
          createdAt: '2026-12-02T08:00:00Z',
          completedAt: '2026-12-02T09:15:00Z',
        }),
      },
    ],
  ])('maps %s field by field', (file, snapshot) => {
    expect(runSnapshot(RunResponseSchema.parse(fixture(file)))).toEqual({ warnings: [], snapshot });
  });

  it.each([
    [{ iterations_completed: 3, max_iterations: 5 }, 60],
    [{ iterations_completed: 1, max_iterations: 3 }, 33.3],
    [{ iterations_completed: 7, max_iterations: 5 }, 100],
    [{ iterations_completed: 2, max_iterations: 0 }, null],
    [{ iterations_completed: 2 }, null],
    [{ max_iterations: 5 }, null],
  ])('reads iterations %j as %s percent', (fields, percent) => {
    expect(runSnapshot(RunResponseSchema.parse(run('r', fields))).snapshot.progressPercent).toBe(percent);
  });

  it('passes an undocumented status through with a warning', () => {
    const { snapshot, warnings } = runSnapshot(RunResponseSchema.parse(run('r', { status: 'paused' })));

    expect([snapshot.status, warnings]).toEqual(['paused', ['unknown run status "paused"']]);
  });

  it.each(['pending', 'running', 'succeeded', 'failed', 'cancelled'])('knows status %s', (status) => {
    expect(runSnapshot(RunResponseSchema.parse(run('r', { status }))).warnings).toEqual([]);
  });

  it.each([
    [{ status: 7 }, 'status'],
    [{ best_win_rate: '0.8' }, 'best_win_rate'],
    [{ id: 12 }, 'id'],
  ])('refuses %j, naming the field', (fields, field) => {
    expect(RunResponseSchema.safeParse({ ...run('r'), ...fields }).error?.issues[0]?.path).toEqual([field]);
  });
});

describe('the AutoScientist client', () => {
  let upstream: Receiver;
  const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 2_000 } });
  const client = (options: { maxWalkPages?: number } = {}) => new AutoScientistClient({ baseUrl: `${upstream.url}/`, apiKey: 'pt_live_k', fetch, logger: captureLogger(), ...options });

  beforeEach(async () => {
    upstream = await startReceiver({ status: 500 });
  });
  afterEach(() => upstream.close());

  describe('reading one run', () => {
    it('GETs it by its encoded id with the API key, and maps it', async () => {
      upstream.answer(body(fixture('run-documented.json')));

      const outcome = await client().fetchRun({ type: 'autoscientist_run', runId: 'as_run:7f3a' });

      expect(upstream.received[0]).toMatchObject({ method: 'GET', path: '/api/v1/autoscientist/as_run%3A7f3a', headers: { authorization: 'Bearer pt_live_k', accept: 'application/json' } });
      expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'succeeded', score: 0.82 } });
    });

    it.each([
      [404, { outcome: 'gone' }],
      [401, { outcome: 'failed', error: { kind: 'credentials' } }],
      [503, { outcome: 'failed', error: { kind: 'unavailable', message: 'autoscientist/r1: upstream answered 503' } }],
    ])('reads a %i answer as %j', async (status, outcome) => {
      upstream.answer({ status });

      expect(await client().fetchRun({ type: 'autoscientist_run', runId: 'r1' })).toMatchObject(outcome);
    });

    it('calls a run with a wrong-typed status malformed, naming the field and the run', async () => {
      upstream.answer(body(run('r1', { status: 3 })));

      expect(await client().fetchRun({ type: 'autoscientist_run', runId: 'r1' })).toMatchObject({
        outcome: 'failed',
        error: { kind: 'malformed', message: expect.stringMatching(/^autoscientist\/r1: malformed response: status: /) },
      });
    });

    it.each(['..', 'a/b', '', 'x'.repeat(129)])('refuses run id %j before anything is sent', async (runId) => {
      expect(await client().fetchRun({ type: 'autoscientist_run', runId })).toMatchObject({ outcome: 'failed', error: { kind: 'invalid_request' } });
      expect(upstream.received).toEqual([]);
    });
  });

  describe('walking the runs list', () => {
    it('stops on the first page once every wanted run has been seen', async () => {
      upstream.answer(body(fixture('list-page.json')));

      const walk = await client().walkRuns(new Set(['as_run_b', 'as_run_a']));

      expect(upstream.received.map((r) => r.path)).toEqual(['/api/v1/autoscientist?limit=100']);
      expect(walk).toMatchObject({ ok: true, complete: true, requests: 1 });
      const runs = walk.ok ? walk.runs : new Map();
      expect([...runs.keys()]).toEqual(['as_run_b', 'as_run_a']);
      expect(runs.get('as_run_b')).toMatchObject({ outcome: 'found', snapshot: { status: 'running', score: 0.74, progressPercent: 60 } });
    });

    it('follows the cursor until the last wanted run, and keeps only the runs it wants', async () => {
      upstream.answer(body(fixture('list-page.json')), body(fixture('list-last-page.json')));

      const walk = await client().walkRuns(new Set(['as_run_0']));

      expect(upstream.received.map((r) => r.path)).toEqual(['/api/v1/autoscientist?limit=100', '/api/v1/autoscientist?limit=100&cursor=cursor_page_2']);
      expect(walk.ok && [...walk.runs.keys()]).toEqual(['as_run_0']);
      expect(walk).toMatchObject({ complete: true, requests: 2 });
    });

    it('walks to the end for a run that is not listed, and leaves it out (its own GET decides)', async () => {
      upstream.answer(page([run('r1')], 'c2'), page([run('r2')], null));

      const walk = await client().walkRuns(new Set(['r2', 'r9']));

      expect(walk.ok && [...walk.runs.keys()]).toEqual(['r2']);
      expect(walk).toMatchObject({ complete: true, requests: 2 });
    });

    it('stops at its page limit, saying the walk is not complete', async () => {
      upstream.answerFromNowOn(page([run('other')], 'more'));

      const walk = await client({ maxWalkPages: 3 }).walkRuns(new Set(['r9']));

      expect(walk).toMatchObject({ ok: true, complete: false, requests: 3 });
      expect(upstream.received).toHaveLength(3);
    });

    it('walks at most 200 pages by default (an account of 20,000 runs)', async () => {
      upstream.answerFromNowOn(page([run('other')], 'more'));

      expect(await client().walkRuns(new Set(['r9']))).toMatchObject({ ok: true, complete: false, requests: 200 });
      expect(upstream.received).toHaveLength(200);
    });

    it('fails only the entry that is malformed, and skips one without an id', async () => {
      upstream.answer(page([run('r1', { status: 5 }), { status: 'running' }, run('r2')], null));

      const walk = await client().walkRuns(new Set(['r1', 'r2']));

      const runs = walk.ok ? walk.runs : new Map();
      expect(runs.get('r1')).toMatchObject({ outcome: 'failed', error: { kind: 'malformed', message: expect.stringMatching(/^autoscientist\/r1: malformed response: status: /) } });
      expect(runs.get('r2')).toMatchObject({ outcome: 'found' });
    });

    it('keeps the first entry of a run listed twice', async () => {
      upstream.answer(page([run('r1', { status: 'running' })], 'c2'), page([run('r1', { status: 'succeeded' }), run('r2')], null));

      const walk = await client().walkRuns(new Set(['r1', 'r2']));

      expect(walk.ok && walk.runs.get('r1')).toMatchObject({ snapshot: { status: 'running' } });
      expect(walk).toMatchObject({ requests: 2 });
    });

    it.each([
      [{ status: 503 }, { kind: 'unavailable', message: 'autoscientist list: upstream answered 503' }],
      [{ status: 403 }, { kind: 'credentials', message: 'autoscientist list: upstream answered 403' }],
      [body({ data: [] }), { kind: 'malformed', message: expect.stringMatching(/^autoscientist list: unexpected shape: runs: /) }],
    ])('fails a list answered %j', async (answer, error) => {
      upstream.answer(answer);

      expect(await client().walkRuns(new Set(['r1']))).toEqual({ ok: false, error });
    });
  });

  describe('the newest run of a dataset', () => {
    it('asks the list for that dataset, reads every page, and picks the newest created_at', async () => {
      upstream.answer(
        page([run('old', { dataset_id: 'ds_1', created_at: '2026-12-01T00:00:00Z' }), run('newest', { dataset_id: 'ds_1', created_at: '2026-12-03T00:00:00Z' })], 'c2'),
        page([run('middle', { dataset_id: 'ds_1', created_at: '2026-12-02T00:00:00Z' })], null),
      );

      expect(await client().latestRunOf('ds_1')).toEqual({ ok: true, runId: 'newest' });
      expect(upstream.received.map((r) => r.path)).toEqual(['/api/v1/autoscientist?dataset_id=ds_1&limit=100', '/api/v1/autoscientist?dataset_id=ds_1&limit=100&cursor=c2']);
    });

    it('never picks another dataset’s run (a filter the upstream ignored), nor an unreadable one', async () => {
      upstream.answer(page([run('theirs', { dataset_id: 'ds_2', created_at: '2026-12-09T00:00:00Z' }), run('bad', { status: 1, created_at: '2026-12-08T00:00:00Z' }), run('ours', { dataset_id: 'ds_1' })], null));

      expect(await client().latestRunOf('ds_1')).toEqual({ ok: true, runId: 'ours' });
    });

    it('prefers a run with a creation time to one without', async () => {
      upstream.answer(page([run('undated', { created_at: null }), run('dated')], null));

      expect(await client().latestRunOf('ds_1')).toEqual({ ok: true, runId: 'dated' });
    });

    it('answers no run for a dataset without one', async () => {
      upstream.answer(page([], null));

      expect(await client().latestRunOf('ds_1')).toEqual({ ok: true, runId: undefined });
    });

    it('refuses a dataset id that is not path-safe before anything is sent, and fails a list that never ends', async () => {
      expect(await client().latestRunOf('../x')).toEqual({ ok: false, error: { kind: 'invalid_request', message: 'autoscientist list for dataset ../x: invalid dataset id' } });
      expect(upstream.received).toEqual([]);

      upstream.answerFromNowOn(page([], 'again'));
      expect(await client({ maxWalkPages: 2 }).latestRunOf('ds_1')).toEqual({ ok: false, error: { kind: 'too_large', message: 'autoscientist list for dataset ds_1: more than 2 pages' } });
      expect(upstream.received).toHaveLength(2);
    });

    it('passes a list failure on', async () => {
      upstream.answer({ status: 502 });

      expect(await client().latestRunOf('ds_1')).toEqual({ ok: false, error: { kind: 'unavailable', message: 'autoscientist list for dataset ds_1: upstream answered 502' } });
    });
  });
});

describe('the fetcher without an Adaption key', () => {
  const fetcher = new UpstreamFetcher(undefined, undefined, undefined);

  it('answers every run request with a credentials failure that says what to set', async () => {
    expect(await fetcher.fetchState({ type: 'autoscientist_run', runId: 'r1' })).toEqual({
      outcome: 'failed',
      error: { kind: 'credentials', message: 'no Adaption Labs API key is configured (ADAPTION_API_KEY)' },
    });
    expect(await fetcher.walkRuns(new Set(['r1']))).toEqual({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
    expect(await fetcher.latestRunOf('ds_1')).toEqual({ ok: false, error: { kind: 'credentials', message: 'no Adaption Labs API key is configured' } });
  });
});
