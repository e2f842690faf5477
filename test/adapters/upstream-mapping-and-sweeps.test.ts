import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch } from '../../lambdas/adapters/http/retrying-fetch';
import { AdaptionClient } from '../../lambdas/adapters/upstream/adaption-client';
import { datasetSnapshot, DatasetResponseSchema } from '../../lambdas/adapters/upstream/adaption-schema';
import { correctionSnapshot, CorrectionSessionResponseSchema, LoginResponseSchema } from '../../lambdas/adapters/upstream/deepopinion-schema';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { captureLogger } from '../support/logger';

const seed = (file: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));

describe('what a snapshot keeps of an upstream body', () => {
  it('maps the DeepOpinion documentation example field by field', () => {
    expect(correctionSnapshot(CorrectionSessionResponseSchema.parse(seed('deepopinion-correction-session.json')))).toEqual({
      warnings: [],
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

  it('keeps a running session’s absent fields as null, and warns of a status it does not know', () => {
    expect(correctionSnapshot(CorrectionSessionResponseSchema.parse({ id: 3, status: 'QUEUED' }))).toEqual({
      warnings: ['unknown correction session status "QUEUED"'],
      snapshot: {
        status: 'QUEUED',
        grade: null,
        score: null,
        progressPercent: null,
        details: { name: null, uuid: null, type: null, documentCount: null, modelName: null, created: null, finished: null },
      },
    });
  });

  it('refuses a session without a status, and a login answer without a token', () => {
    expect(CorrectionSessionResponseSchema.safeParse({ id: 1 }).error?.issues[0]?.path).toEqual(['status']);
    expect(LoginResponseSchema.safeParse({ auth_token: '' }).success).toBe(false);
    expect(LoginResponseSchema.parse({ auth_token: 'eyJhbGciOi.e30.sig', message: 'ok' })).toEqual({ auth_token: 'eyJhbGciOi.e30.sig' });
  });

  it('maps an evaluated dataset with its run, progress and evaluation as context', () => {
    const body = {
      dataset_id: 'ds_1',
      name: 'reviews',
      status: 'succeeded',
      run_id: 'run_7',
      row_count: 1200,
      updated_at: '2026-11-24T10:00:00Z',
      error: { message: 'earlier run failed' },
      progress: { percent: 100, processed_rows: 1200, total_rows: 1200 },
      evaluation_summary: { grade_before: 'C', grade_after: 'B', score_before: 0.61, score_after: 0.74, improvement_percent: 21.3 },
    };

    expect(datasetSnapshot(DatasetResponseSchema.parse(body))).toEqual({
      warnings: [],
      snapshot: {
        status: 'succeeded',
        grade: 'B',
        score: 0.74,
        progressPercent: 100,
        details: {
          name: 'reviews',
          runId: 'run_7',
          rowCount: 1200,
          updatedAt: '2026-11-24T10:00:00Z',
          kind: null,
          errorMessage: 'earlier run failed',
          errorCode: null,
          errorLevel: null,
          progress: { percent: 100, processedRows: 1200, totalRows: 1200 },
          evaluation: { gradeBefore: 'C', gradeAfter: 'B', scoreBefore: 0.61, scoreAfter: 0.74, improvementPercent: 21.3 },
          evaluationStatus: null,
        },
      },
    });
  });

  it('keeps the nulls of a dataset whose run and evaluation have only started', () => {
    const body = { dataset_id: 'ds_1', status: 'running', progress: { percent: null }, evaluation_summary: { grade_before: 'A' }, error: {} };

    expect(datasetSnapshot(DatasetResponseSchema.parse(body)).snapshot.details).toEqual({
      name: null,
      runId: null,
      rowCount: null,
      updatedAt: null,
      kind: null,
      errorMessage: null,
      errorCode: null,
      errorLevel: null,
      progress: { percent: null, processedRows: null, totalRows: null },
      evaluation: { gradeBefore: 'A', gradeAfter: null, scoreBefore: null, scoreAfter: null, improvementPercent: null },
      evaluationStatus: null,
    });
  });

  it.each([
    ['error', { error: { message: 7 } }],
    ['error_data', { error_data: { code: 100 } }],
    ['progress', { progress: { percent: 'half' } }],
    ['evaluation_summary', { evaluation_summary: { score_after: 'high' } }],
  ])('refuses a dataset whose %s has a wrong type, naming the field', (field, fields) => {
    const result = DatasetResponseSchema.safeParse({ dataset_id: 'ds_1', status: 'running', ...fields });

    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });
});

describe('the dataset sweep (GET /api/v1/datasets by updated_at, newest first)', () => {
  let simulator: UpstreamSimulator;
  const logger = captureLogger();
  const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 1_000 } });
  const client = (options: { apiKey?: string; maxSweepPages?: number } = {}) =>
    new AdaptionClient({ baseUrl: simulator.url, apiKey: options.apiKey ?? SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger, ...(options.maxSweepPages ? { maxSweepPages: options.maxSweepPages } : {}) });
  /** Dataset i moved i minutes before 12:00: ds_000 is the newest. */
  const movedAt = (i: number) => new Date(Date.parse('2026-11-24T12:00:00Z') - i * 60_000).toISOString();
  const id = (i: number) => `ds_${String(i).padStart(3, '0')}`;

  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.close());
  beforeEach(() => {
    simulator.datasets.clear();
    simulator.clearFaults();
    for (let i = 0; i < 250; i++) simulator.putDataset(id(i), { status: i % 2 ? 'running' : 'succeeded', updated_at: movedAt(i) });
  });

  it('reads one page, the newest 100, when there is no mark yet', async () => {
    const swept = await client().sweepDatasets(null);

    expect(swept).toMatchObject({ ok: true, newest: movedAt(0), requests: 1 });
    const datasets = swept.ok ? swept.datasets : new Map();
    expect([...datasets.keys()]).toEqual(Array.from({ length: 100 }, (_, i) => id(i)));
    expect(datasets.get(id(1))).toEqual({ status: 'running', updatedAt: movedAt(1) });
  });

  it('pages on until an entry is older than the floor, keeping one that moved exactly at it', async () => {
    const swept = await client().sweepDatasets(movedAt(149));

    expect(swept).toMatchObject({ ok: true, newest: movedAt(0), requests: 2 });
    expect(swept.ok && [...swept.datasets.keys()]).toEqual(Array.from({ length: 150 }, (_, i) => id(i)));
  });

  it('reads to the list’s end when nothing is older than the floor', async () => {
    const swept = await client().sweepDatasets(movedAt(400));

    expect(swept).toMatchObject({ ok: true, requests: 3 });
    expect(swept.ok && swept.datasets.size).toBe(250);
  });

  it('gives up, so the tick falls back to single GETs, when more pages moved than it may read', async () => {
    expect(await client({ maxSweepPages: 2 }).sweepDatasets(movedAt(400))).toEqual({
      ok: false,
      error: { kind: 'too_large', message: 'datasets list: more than 2 pages changed since the last sweep' },
    });
  });

  it('reports a list the upstream refuses, with the answer’s kind', async () => {
    simulator.addFault({ path: '/api/v1/datasets', exact: true, status: 503, times: 1 });

    expect(await client().sweepDatasets(null)).toEqual({ ok: false, error: { kind: 'unavailable', message: 'datasets list: upstream answered 503' } });
    expect(await client({ apiKey: 'pt_live_wrong' }).sweepDatasets(null)).toMatchObject({ ok: false, error: { kind: 'credentials' } });
  });

  it('stops when the tick’s signal fires', async () => {
    const swept = await client().sweepDatasets(null, AbortSignal.abort());

    expect(swept.ok).toBe(false);
  });
});
