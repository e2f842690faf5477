import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TransportError } from '../../lambdas/adapters/http/retrying-fetch';
import { datasetSnapshot, DatasetListPageSchema, DatasetResponseSchema } from '../../lambdas/adapters/upstream/adaption-schema';
import {
  DEFAULT_MAX_BODY_BYTES,
  describeZodError,
  failureFromError,
  interpretListedResource,
  interpretResourceResponse,
  listFailureFromError,
  readJsonCapped,
  readListResponse,
  trimBaseUrl,
  UpstreamFailure,
} from '../../lambdas/adapters/upstream/response';
import { captureLogger } from '../support/logger';

/**
 * How an upstream answer becomes an outcome, one answer at a time: in-memory
 * WHATWG Responses, the same objects the pooled client hands over.
 */
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers });
const text = (body: string, status = 200) => new Response(body, { status });
const dataset = { dataset_id: 'ds_1', status: 'running' };

describe('a single resource’s answer', () => {
  const read = (response: Response, logger = captureLogger(), maxBytes?: number) =>
    interpretResourceResponse(response, 'datasets/ds_1', DatasetResponseSchema, datasetSnapshot, logger, maxBytes);

  it.each([
    [401, 'credentials', 'datasets/ds_1: upstream answered 401; check the credentials and the project role'],
    [403, 'credentials', 'datasets/ds_1: upstream answered 403; check the credentials and the project role'],
    [500, 'unavailable', 'datasets/ds_1: upstream answered 500'],
    [429, 'unavailable', 'datasets/ds_1: upstream answered 429'],
  ])('reads %i as %s, never as a change', async (status, kind, message) => {
    expect(await read(json({}, status))).toEqual({ outcome: 'failed', error: { kind, message } });
  });

  it('reads 404 as gone', async () => {
    expect(await read(json({ error: 'not found' }, 404))).toEqual({ outcome: 'gone' });
  });

  it('logs a body that is not JSON with the resource, and fails it as malformed', async () => {
    const logger = captureLogger();

    const outcome = await read(text('<html>'), logger);

    expect(outcome).toMatchObject({ outcome: 'failed', error: { kind: 'malformed', message: expect.stringMatching(/^datasets\/ds_1: malformed response: body is not JSON \(.+\)$/) } });
    expect(logger.at('error').map((l) => [l.message, l.extra.resource])).toEqual([['malformed upstream response', 'datasets/ds_1']]);
  });

  it('names the field of a wrong shape in the failure and the log', async () => {
    const logger = captureLogger();

    const outcome = await read(json({ dataset_id: 'ds_1', status: 3 }), logger);

    expect(outcome).toMatchObject({ error: { kind: 'malformed', message: expect.stringMatching(/^datasets\/ds_1: malformed response: status: /) } });
    expect(logger.at('error')[0]?.extra).toMatchObject({ resource: 'datasets/ds_1', detail: expect.stringMatching(/^status: /) });
  });

  it('logs a body over the cap, unread, as too large', async () => {
    const logger = captureLogger();

    const outcome = await read(json(dataset, 200, { 'content-length': '5000' }), logger, 4_999);

    expect(outcome).toEqual({ outcome: 'failed', error: { kind: 'too_large', message: 'datasets/ds_1: body of 5000 bytes is over the 4999-byte cap' } });
    expect(logger.at('error').map((l) => [l.message, l.extra])).toEqual([['upstream response too large; not read', { resource: 'datasets/ds_1', detail: 'body of 5000 bytes is over the 4999-byte cap' }]]);
  });

  it('reads a body up to 1 MiB by default', async () => {
    const padded = { ...dataset, name: 'x'.repeat(DEFAULT_MAX_BODY_BYTES - 200) };

    expect(DEFAULT_MAX_BODY_BYTES).toBe(1_048_576);
    expect(await read(json(padded))).toMatchObject({ outcome: 'found' });
    expect(await read(json({ ...dataset, name: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) }))).toMatchObject({ outcome: 'failed', error: { kind: 'too_large' } });
  });

  it('passes an undocumented status and grade through, with a warning for each naming the resource', async () => {
    const logger = captureLogger();

    const outcome = await read(json({ ...dataset, status: 'archived', evaluation_summary: { grade_after: 'F' } }), logger);

    expect(outcome).toMatchObject({ outcome: 'found', snapshot: { status: 'archived', grade: 'F' } });
    expect(logger.at('warn').map((l) => [l.message, l.extra.resource])).toEqual([
      ['upstream sent an undocumented value; passing it through', 'datasets/ds_1'],
      ['upstream sent an undocumented value; passing it through', 'datasets/ds_1'],
    ]);
    expect(logger.at('warn')[1]?.extra.warning).toBe('unexpected grade_after "F"');
  });

  it('reads one list entry as its own GET would', () => {
    const logger = captureLogger();

    expect(interpretListedResource({ ...dataset, evaluation_summary: { grade_after: 'Z' } }, 'datasets/ds_1', DatasetResponseSchema, datasetSnapshot, logger)).toMatchObject({ outcome: 'found', snapshot: { grade: 'Z' } });
    expect(interpretListedResource({ dataset_id: 'ds_1' }, 'datasets/ds_1', DatasetResponseSchema, datasetSnapshot, logger)).toMatchObject({ outcome: 'failed', error: { kind: 'malformed' } });
    expect(logger.entries.map((l) => [l.level, l.message, l.extra.resource])).toEqual([
      ['warn', 'upstream sent an undocumented value; passing it through', 'datasets/ds_1'],
      ['error', 'malformed upstream response', 'datasets/ds_1'],
    ]);
  });
});

describe('a list’s answer', () => {
  const read = (response: Response, logger = captureLogger(), maxBytes = 10_000) => readListResponse(response, 'datasets list', DatasetListPageSchema, logger, maxBytes);

  it('hands over a page of the expected shape', async () => {
    expect(await read(json({ datasets: [{ dataset_id: 'ds_1', status: 'running', updated_at: null }], next_cursor: 'c2' }))).toEqual({
      ok: true,
      body: { datasets: [{ dataset_id: 'ds_1', status: 'running', updated_at: null }], next_cursor: 'c2' },
    });
  });

  it.each([
    [401, 'credentials'],
    [403, 'credentials'],
    [404, 'unavailable'],
    [502, 'unavailable'],
  ])('fails on %i as %s', async (status, kind) => {
    expect(await read(json({}, status))).toEqual({ ok: false, error: { kind, message: `datasets list: upstream answered ${status}` } });
  });

  it('logs a body that is not JSON and fails it as malformed', async () => {
    const logger = captureLogger();

    expect(await read(text('not json'), logger)).toEqual({ ok: false, error: { kind: 'malformed', message: 'datasets list: body is not JSON' } });
    expect(logger.at('error').map((l) => [l.message, l.extra.list])).toEqual([['malformed upstream list response', 'datasets list']]);
  });

  it('logs a page of an unexpected shape, naming the field', async () => {
    const logger = captureLogger();

    const outcome = await read(json({ datasets: [{ dataset_id: 5, status: 'running' }] }), logger);

    expect(outcome).toMatchObject({ ok: false, error: { kind: 'malformed', message: expect.stringMatching(/^datasets list: unexpected shape: datasets\.0\.dataset_id: /) } });
    expect(logger.at('error')[0]).toMatchObject({ message: 'upstream list answered in an unexpected shape', extra: { list: 'datasets list', detail: expect.stringMatching(/^datasets\.0\.dataset_id: /) } });
  });

  it('fails a page over its cap as too large, and one whose connection breaks as unavailable', async () => {
    const broken = new Response(new ReadableStream({ pull: (controller) => controller.error(new Error('socket hang up')) }));

    expect(await read(json({ datasets: [] }), captureLogger(), 5)).toEqual({ ok: false, error: { kind: 'too_large', message: 'datasets list: body is over the 5-byte cap; stopped reading' } });
    expect(await read(broken)).toEqual({ ok: false, error: { kind: 'unavailable', message: 'datasets list: body read failed: socket hang up' } });
  });

  it('turns what a list request threw into a list failure of the same kind', () => {
    expect(listFailureFromError(new UpstreamFailure('credentials', 'login refused'), 'datasets list')).toEqual({ ok: false, error: { kind: 'credentials', message: 'datasets list: login refused' } });
    expect(listFailureFromError(new TransportError('timed out'), 'datasets list')).toEqual({ ok: false, error: { kind: 'unavailable', message: 'datasets list: timed out' } });
    expect(listFailureFromError('boom', 'datasets list')).toEqual({ ok: false, error: { kind: 'internal', message: 'datasets list: boom' } });
  });
});

describe('the helpers', () => {
  it('map thrown errors to failures: classified, transport, anything else internal', () => {
    expect(failureFromError(new UpstreamFailure('malformed', 'bad login'), 'r')).toEqual({ outcome: 'failed', error: { kind: 'malformed', message: 'r: bad login' } });
    expect(failureFromError(new TransportError('reset'), 'r')).toEqual({ outcome: 'failed', error: { kind: 'unavailable', message: 'r: reset' } });
    expect(failureFromError(new Error('bug'), 'r')).toEqual({ outcome: 'failed', error: { kind: 'internal', message: 'r: bug' } });
    expect(new UpstreamFailure('too_large', 'x').name).toBe('UpstreamFailure');
  });

  it('describe a zod error field by field, the body itself as (body)', () => {
    const schema = z.object({ a: z.string(), b: z.object({ c: z.number() }) });

    expect(describeZodError(schema.safeParse({ a: 1, b: { c: 'x' } }).error!)).toMatch(/^a: .+; b\.c: .+$/);
    expect(describeZodError(schema.safeParse('text').error!)).toMatch(/^\(body\): /);
  });

  it('trim every trailing slash of a base URL, and nothing else', () => {
    expect(trimBaseUrl('https://api.example.com//')).toBe('https://api.example.com');
    expect(trimBaseUrl('https://api.example.com/v1/')).toBe('https://api.example.com/v1');
    expect(trimBaseUrl('https://api.example.com/v1')).toBe('https://api.example.com/v1');
  });

  it('read a declared length exactly at the cap', async () => {
    expect(await readJsonCapped(json({ a: 1 }, 200, { 'content-length': '7' }), 7)).toEqual({ a: 1 });
  });
});
