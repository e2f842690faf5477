import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { AdaptionClient } from '../../lambdas/adapters/upstream/adaption-client';
import { captureLogger } from '../support/logger';
import { contractProblems, fixture, fixtures, startFixtureServer, type FixtureServer } from './contracts';

/**
 * The Adaption client against bodies written from the published documents,
 * served over HTTP: each parses as the documents say. (The simulator is held
 * to the same shapes in simulator-contract.test.ts.)
 */
let server: FixtureServer;
const logger = captureLogger();
const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 2_000 } });
const client = () => new AdaptionClient({ baseUrl: server.url, apiKey: 'pt_live_contract', fetch, logger });

beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  logger.entries.length = 0;
});

describe('the fixtures themselves', () => {
  it.each(['dataset-list', 'dataset-get', 'dataset-status', 'dataset-evaluation'] as const)('%s: every documented body conforms to the closed schema, and the extra-fields body does not', (endpoint) => {
    for (const [name, body] of fixtures(`adaption/${endpoint}`)) {
      if (name === 'extra-fields') expect(contractProblems(`adaption/${endpoint}`, body).some((p) => p.includes('must NOT have additional properties')), name).toBe(true);
      else expect(contractProblems(`adaption/${endpoint}`, body), name).toEqual([]);
    }
  });

  it('holds the list under `datasets`: a page under `data` breaks the contract', () => {
    const { datasets, ...rest } = fixture('adaption/dataset-list', 'documented');

    expect(contractProblems('adaption/dataset-list', { ...rest, data: datasets })).toEqual([
      "(body) must have required property 'datasets'",
      '(body) must NOT have additional properties "data"',
    ]);
  });
});

describe('GET /api/v1/datasets (the sweep) parses every published page', () => {
  it.each([...fixtures('adaption/dataset-list').keys()])('%s', async (name) => {
    const page = fixture<{ datasets: Array<{ dataset_id: string; status: string; updated_at: string }> }>('adaption/dataset-list', name);
    server.answer('/api/v1/datasets', page);

    const swept = await client().sweepDatasets(null);

    expect(swept).toEqual({
      ok: true,
      datasets: new Map(page.datasets.map((entry) => [entry.dataset_id, { status: entry.status, updatedAt: entry.updated_at }])),
      newest: page.datasets[0]?.updated_at ?? null,
      requests: 1,
    });
    expect(server.requests).toEqual(['/api/v1/datasets?sort=updated_at&sort_direction=desc&limit=100']);
  });

  it('follows next_cursor to the page after, and stops where next_cursor is absent', async () => {
    const pages = new Map([
      ['', fixture('adaption/dataset-list', 'documented')],
      ['eyJwIjoyfQ', fixture('adaption/dataset-list', 'required-only')],
    ]);
    // A server that tells the pages apart by cursor.
    const paged = await startFixtureServer();
    const seen: string[] = [];
    const pagedFetch = async (url: string, init: RequestInit) => {
      const cursor = new URL(url).searchParams.get('cursor') ?? '';
      seen.push(cursor);
      paged.answer('/api/v1/datasets', pages.get(cursor));
      return fetch(url.replace(server.url, paged.url), init);
    };
    try {
      const swept = await new AdaptionClient({ baseUrl: server.url, apiKey: 'pt_live_contract', fetch: pagedFetch, logger }).sweepDatasets('2000-01-01T00:00:00.000Z');

      expect(seen).toEqual(['', 'eyJwIjoyfQ']);
      expect(swept).toMatchObject({ ok: true, requests: 2, newest: '2026-12-01T10:15:00.000Z' });
      expect([...(swept.ok ? swept.datasets.keys() : [])]).toEqual(['ds_7Hq2', 'ds_3Kp9', 'ds_req']);
    } finally {
      await paged.close();
    }
  });

  it('refuses a page in the shape some derived specs guess (`data`), naming the missing key', async () => {
    const { datasets, ...rest } = fixture('adaption/dataset-list', 'documented');
    server.answer('/api/v1/datasets', { ...rest, data: datasets });

    expect(await client().sweepDatasets(null)).toEqual({
      ok: false,
      error: { kind: 'malformed', message: 'datasets list: unexpected shape: datasets: Invalid input: expected array, received undefined' },
    });
  });
});

const DS = '/api/v1/datasets/ds_1';
const NO_DETAILS = {
  name: null,
  runId: null,
  rowCount: null,
  updatedAt: null,
  kind: null,
  errorMessage: null,
  errorCode: null,
  errorLevel: null,
  progress: null,
  evaluation: null,
  evaluationStatus: null,
};

describe('GET /api/v1/datasets/{id} parses every published body', () => {
  const fetchDataset = () => client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

  it('the documented example (newer fields): grade and scores from the summary, nothing else asked', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'documented'));

    expect(await fetchDataset()).toEqual({
      outcome: 'found',
      snapshot: {
        status: 'succeeded',
        grade: 'B',
        score: 8.1,
        progressPercent: null,
        details: {
          ...NO_DETAILS,
          name: 'Support tickets Q4',
          runId: 'run_31',
          rowCount: 1200,
          updatedAt: '2026-12-01T10:15:00.000Z',
          kind: 'augmented',
          evaluation: { gradeBefore: 'D', gradeAfter: 'B', scoreBefore: 5.2, scoreAfter: 8.1, improvementPercent: 55.8 },
        },
      },
    });
    expect(server.requests).toEqual([DS]);
  });

  it('required fields only: every other field null', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'required-only'));

    expect(await fetchDataset()).toEqual({
      outcome: 'found',
      snapshot: { status: 'running', grade: null, score: null, progressPercent: null, details: { ...NO_DETAILS, updatedAt: '2026-12-01T10:15:00.000Z' } },
    });
  });

  it('every nullable field null, status pending: the status endpoint says what pending means (here awaiting_input)', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'nulls'));
    server.answer(`${DS}/status`, fixture('adaption/dataset-status', 'awaiting-input'));

    expect(await fetchDataset()).toEqual({
      outcome: 'found',
      snapshot: { status: 'awaiting_input', grade: null, score: null, progressPercent: null, details: { ...NO_DETAILS, name: 'Fresh upload', rowCount: 40, updatedAt: '2026-11-30T08:00:00.000Z' } },
    });
    expect(server.requests).toEqual([DS, `${DS}/status`]);
  });

  it('a failure as the published error_data {message, code, level}', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'failed-error-data'));

    const outcome = await fetchDataset();

    expect(outcome.outcome === 'found' && outcome.snapshot.details).toMatchObject({ errorMessage: '12 rows have an empty completion column', errorCode: 'E0100', errorLevel: 'error', kind: 'uploaded' });
    expect(outcome).toMatchObject({ snapshot: { status: 'failed', grade: null } });
    expect(server.requests).toEqual([DS]);
  });

  it('a failure as the seed page’s error {message}', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'failed-seed-error'));

    const outcome = await fetchDataset();

    expect(outcome.outcome === 'found' && outcome.snapshot.details).toMatchObject({ errorMessage: '12 rows have an empty completion column', errorCode: null, errorLevel: null });
  });

  it('a running dataset with its progress and a warning-level error_data', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'running'));

    const outcome = await fetchDataset();

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'running', progressPercent: 42.5 } });
    expect(outcome.outcome === 'found' && outcome.snapshot.details).toMatchObject({
      errorMessage: '3 rows were skipped',
      errorCode: 'W0201',
      errorLevel: 'warning',
      progress: { percent: 42.5, processedRows: 510, totalRows: 1200 },
    });
  });

  it('unknown extra fields are ignored', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'extra-fields'));

    const outcome = await fetchDataset();

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'succeeded', grade: 'A', score: 9.2, details: { kind: 'translated' } } });
    expect(outcome.outcome === 'found' && Object.keys(outcome.snapshot.details).sort()).toEqual(Object.keys(NO_DETAILS).sort());
    expect(logger.at('warn')).toEqual([]);
  });

  it('the seed page’s example (older shape, placeholder grades): parsed, its odd grades passed on with a warning', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'seed'));
    server.answer(`${DS}/status`, fixture('adaption/dataset-status', 'required-only'));

    const outcome = await fetchDataset();

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'pending', grade: 'grade_after', details: { errorMessage: 'message', errorCode: null } } });
    expect(logger.at('warn').map((entry) => entry.extra.warning)).toEqual(['unexpected grade_after "grade_after"', 'unexpected grade_before "grade_before"']);
  });
});

describe('GET /api/v1/datasets/{id}/status completes a pending single GET', () => {
  const pending = () => fixture('adaption/dataset-get', 'nulls');

  it.each([...fixtures('adaption/dataset-status')])('%s: its status is the dataset’s', async (_name, body) => {
    server.answer(DS, pending());
    server.answer(`${DS}/status`, body);

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: (body as { status: string }).status } });
  });

  it.each([
    [404, 'unavailable', 'datasets/ds_1/status: upstream answered 404'],
    [503, 'unavailable', 'datasets/ds_1/status: upstream answered 503'],
    [401, 'credentials', 'datasets/ds_1/status: upstream answered 401; check the credentials and the project role'],
  ])('answered %i: the poll fails (%s), never guessing a status that could flap', async (status, kind, message) => {
    server.answer(DS, pending());
    server.answer(`${DS}/status`, { message: 'no' }, status);

    expect(await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' })).toEqual({ outcome: 'failed', error: { kind, message } });
  });

  it('answered without a status: malformed, naming the field', async () => {
    server.answer(DS, pending());
    server.answer(`${DS}/status`, { dataset_id: 'ds_1', status: 3 });

    expect(await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' })).toEqual({
      outcome: 'failed',
      error: { kind: 'malformed', message: 'datasets/ds_1/status: malformed response: status: Invalid input: expected string, received number' },
    });
  });
});

describe('GET /api/v1/datasets/{id}/evaluation says whether a succeeded run’s grade is coming', () => {
  const succeededWithoutSummary = () => ({ ...fixture('adaption/dataset-get', 'required-only'), status: 'succeeded' });

  it.each([...fixtures('adaption/dataset-evaluation')])('%s: its status travels as evaluationStatus', async (_name, body) => {
    server.answer(DS, succeededWithoutSummary());
    server.answer(`${DS}/evaluation`, body);

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'succeeded', grade: null, details: { evaluationStatus: (body as { status: string }).status } } });
    expect(server.requests).toEqual([DS, `${DS}/evaluation`]);
  });

  it('is not asked while a run is going, nor once a summary has come', async () => {
    server.answer(DS, fixture('adaption/dataset-get', 'running'));
    await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });
    server.answer(DS, fixture('adaption/dataset-get', 'documented'));
    await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(server.requests).toEqual([DS, DS]);
  });

  it('that cannot be read leaves evaluationStatus null (context only), with a warning', async () => {
    server.answer(DS, succeededWithoutSummary());
    server.answer(`${DS}/evaluation`, { message: 'down' }, 503);

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'succeeded', details: { evaluationStatus: null } } });
    expect(logger.at('warn')).toEqual([
      { level: 'warn', message: 'dataset evaluation could not be read; its status stays unknown', extra: { resource: 'datasets/ds_1', outcome: 'failed' } },
    ]);
  });

  it('an evaluation status nobody documented is passed on with a warning', async () => {
    server.answer(DS, succeededWithoutSummary());
    server.answer(`${DS}/evaluation`, { dataset_id: 'ds_1', status: 'queued' });

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome).toMatchObject({ snapshot: { details: { evaluationStatus: 'queued' } } });
    expect(logger.at('warn').map((entry) => entry.extra.warning)).toEqual(['unknown evaluation status "queued"']);
  });
});
