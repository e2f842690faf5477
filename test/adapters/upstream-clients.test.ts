import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRetryingFetch, type FetchLike } from '../../lambdas/adapters/http/retrying-fetch';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { AdaptionClient } from '../../lambdas/adapters/upstream/adaption-client';
import { datasetSnapshot, DatasetResponseSchema } from '../../lambdas/adapters/upstream/adaption-schema';
import { DeepOpinionAuth } from '../../lambdas/adapters/upstream/deepopinion-auth';
import { DeepOpinionClient } from '../../lambdas/adapters/upstream/deepopinion-client';
import { correctionSnapshot, CorrectionSessionResponseSchema } from '../../lambdas/adapters/upstream/deepopinion-schema';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { captureLogger } from '../support/logger';

/**
 * The example response bodies from the providers' documentation pages
 * (../shared/seeds/000_62a075310d0584ea.txt and 004_53c1860642a22c0a.txt),
 * copied verbatim so the repository tests them on its own.
 */
function seedExample(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'));
}

describe('upstream schemas', () => {
  it('parse the DeepOpinion documentation example', () => {
    const parsed = CorrectionSessionResponseSchema.parse(seedExample('deepopinion-correction-session.json'));
    expect(correctionSnapshot(parsed).snapshot).toMatchObject({ status: 'CREATED', grade: null, score: 0, progressPercent: 87.7 });
  });

  it('parse the Adaption Labs documentation example, flagging its placeholder grade', () => {
    const parsed = DatasetResponseSchema.parse(seedExample('adaption-dataset.json'));
    const { snapshot, warnings } = datasetSnapshot(parsed);
    expect(snapshot).toMatchObject({ status: 'pending', grade: 'grade_after', score: 0 });
    expect(warnings).toContain('unexpected grade_after "grade_after"');
  });

  it('accept documented nulls and ignore unknown fields', () => {
    const parsed = DatasetResponseSchema.parse({
      dataset_id: 'ds', status: 'running', evaluation_summary: null, progress: null, error: null,
      configured_column_mapping: null, brand_new_field: { x: 1 },
    });
    expect(datasetSnapshot(parsed)).toEqual(expect.objectContaining({ warnings: [] }));
  });

  it('reject a grade of the wrong type, naming the field', () => {
    const result = DatasetResponseSchema.safeParse({ dataset_id: 'ds', status: 'succeeded', evaluation_summary: { grade_after: 4 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['evaluation_summary', 'grade_after']);
  });
});

describe('upstream clients over HTTP', () => {
  let simulator: UpstreamSimulator;
  const logger = captureLogger();
  const fetch = createRetryingFetch({ policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2_000, timeoutMs: 1_000 } });

  beforeAll(async () => {
    simulator = await startSimulator();
  });
  afterAll(() => simulator.close());
  beforeEach(() => {
    simulator.clearFaults();
    simulator.revokeTokens();
    simulator.resetStats();
  });

  function deepOpinion(fetchImpl: FetchLike = fetch) {
    const auth = new DeepOpinionAuth({ baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion }, fetch: fetchImpl });
    return new DeepOpinionClient({ baseUrl: simulator.url, auth, fetch: fetchImpl, logger });
  }

  it('logs in once and reuses the token across requests', async () => {
    simulator.putCorrection(1, 2, { status: 'SAMPLING' });
    const client = deepOpinion();

    const outcomes = await Promise.all([1, 2, 3].map(() => client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 })));

    expect(outcomes.map((o) => o.outcome)).toEqual(['found', 'found', 'found']);
    expect(simulator.getStats().logins).toBe(1);
  });

  it('logs in again once after a 401 and succeeds with the new token', async () => {
    simulator.putCorrection(1, 2);
    const client = deepOpinion();
    await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });
    simulator.revokeTokens();

    const outcome = await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });

    expect(outcome.outcome).toBe('found');
    expect(simulator.getStats().logins).toBe(2);
  });

  it('reports a credentials failure, without looping, when the upstream keeps answering 401', async () => {
    simulator.putCorrection(1, 2);
    simulator.addFault({ path: '/projects/1/corrections/2', status: 401 });
    const client = deepOpinion();

    const outcome = await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'credentials' } });
    expect(simulator.getStats().logins).toBe(2);
    expect(simulator.getStats().byStatus['401']).toBe(2);
  });

  it('logs in again shortly before the token’s JWT exp, without waiting for a 401', async () => {
    simulator.putCorrection(1, 2);
    let clock = Date.now();
    const auth = new DeepOpinionAuth({ baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion }, fetch, now: () => clock });
    const client = new DeepOpinionClient({ baseUrl: simulator.url, auth, fetch, logger });
    await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });

    clock += 3_600_000 - 30_000; // the simulator's tokens live an hour; 30 s are left
    await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });

    expect(simulator.getStats().logins).toBe(2);
    expect(simulator.getStats().byStatus['401']).toBeUndefined();
  });

  it('reports refused login credentials as a credentials failure', async () => {
    const auth = new DeepOpinionAuth({ baseUrl: simulator.url, credentials: { email: 'x@y.z', password: 'wrong' }, fetch });
    const client = new DeepOpinionClient({ baseUrl: simulator.url, auth, fetch, logger });

    const outcome = await client.fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId: 2 });

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'credentials' } });
  });

  it('treats 403 as a credentials problem, never as a change', async () => {
    simulator.putDataset('ds_1');
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 403 });
    const client = new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger });

    expect(await client.fetchDataset({ type: 'dataset', datasetId: 'ds_1' })).toMatchObject({ outcome: 'failed', error: { kind: 'credentials' } });
  });

  it('waits as long as Retry-After asks before retrying a 429', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 429, retryAfter: '1', times: 1 });
    const waits: number[] = [];
    const recordingFetch = createRetryingFetch({
      policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2_000, timeoutMs: 1_000 },
      sleep: async (ms) => void waits.push(ms),
    });
    const client = new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch: recordingFetch, logger });

    const outcome = await client.fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome.outcome).toBe('found');
    expect(waits).toEqual([1000]);
  });

  it('gives up for this tick when Retry-After asks for longer than a tick can wait', async () => {
    simulator.putDataset('ds_1');
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 429, retryAfter: '600' });
    const client = new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger });

    const outcome = await client.fetchDataset({ type: 'dataset', datasetId: 'ds_1' });

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'unavailable' } });
    expect(simulator.getStats().upstreamRequests).toBe(1);
  });

  it('retries a 503 with backoff and succeeds', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 503, times: 2 });
    const client = new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger });

    expect((await client.fetchDataset({ type: 'dataset', datasetId: 'ds_1' })).outcome).toBe('found');
    expect(simulator.getStats().upstreamRequests).toBe(3);
  });

  it.each([['../x'], ['a/b'], [''], ['x'.repeat(10_240)], ['..'], ['a b'], ['%2e%2e']])(
    'refuses dataset id %j before any request is sent',
    async (datasetId) => {
      const client = new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger });

      const outcome = await client.fetchDataset({ type: 'dataset', datasetId });

      expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'invalid_request' } });
      expect(simulator.getStats().upstreamRequests).toBe(0);
    },
  );

  it.each([[0], [-1], [1.5], [Number.NaN], [2 ** 60]])('refuses correction id %s before any request is sent', async (correctionId) => {
    const outcome = await deepOpinion().fetchCorrectionSession({ type: 'correction_session', projectId: 1, correctionId });

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'invalid_request' } });
    expect(simulator.getStats().upstreamRequests + simulator.getStats().logins).toBe(0);
  });
});

describe('upstream bodies are bounded', () => {
  let simulator: UpstreamSimulator;
  const logger = captureLogger();
  const fetch = createRetryingFetch({ policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 10_000 } });
  const client = () => new AdaptionClient({ baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey, fetch, logger, maxBodyBytes: 1024 * 1024 });

  beforeAll(async () => {
    simulator = await startSimulator();
    simulator.putDataset('ds_big', { status: 'running' });
  });
  afterAll(() => simulator.close());
  beforeEach(() => simulator.clearFaults());

  it('stops reading nine 50 MB bodies at the cap, with little memory, as too_large failures', async () => {
    simulator.addFault({ path: '/api/v1/datasets/ds_big', bodyBytes: 50 * 1024 * 1024 });
    global.gc?.();
    const before = process.memoryUsage().rss;

    const outcomes = await Promise.all(Array.from({ length: 9 }, () => client().fetchDataset({ type: 'dataset', datasetId: 'ds_big' })));

    const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    expect(outcomes.map((o) => o.outcome === 'failed' && o.error.kind)).toEqual(Array.from({ length: 9 }, () => 'too_large'));
    expect(grownMb).toBeLessThan(50);
  });

  it('refuses a body whose declared length is over the cap without reading it', async () => {
    simulator.addFault({ path: '/api/v1/datasets/ds_big', bodyBytes: 5 * 1024 * 1024, declareLength: true });

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_big' });

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'too_large', message: expect.stringContaining('5242') } });
  });

  it('applies a configured cap (WATCHPOST_UPSTREAM_MAX_BODY_BYTES), not only the default, for both providers', async () => {
    simulator.putCorrection(1, 1, { status: 'SAMPLING' });
    simulator.addFault({ path: '/api/v1/datasets/ds_big', bodyBytes: 64 * 1024 });
    simulator.addFault({ path: '/projects/1/corrections/1', bodyBytes: 64 * 1024 });
    const fetcher = UpstreamFetcher.create(
      {
        adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
        deepOpinion: { baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion } },
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10, timeoutMs: 10_000 },
        maxBodyBytes: 16 * 1024,
      },
      logger,
    );

    const outcomes = await Promise.all([
      fetcher.fetchState({ type: 'dataset', datasetId: 'ds_big' }),
      fetcher.fetchState({ type: 'correction_session', projectId: 1, correctionId: 1 }),
    ]);

    expect(outcomes.map((o) => o.outcome === 'failed' && o.error.kind)).toEqual(['too_large', 'too_large']);
  });

  it('reads a padded body that stays under the cap', async () => {
    simulator.addFault({ path: '/api/v1/datasets/ds_big', bodyBytes: 512 * 1024 });

    const outcome = await client().fetchDataset({ type: 'dataset', datasetId: 'ds_big' });

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'running' } });
  });
});
