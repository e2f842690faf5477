import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../lambdas/adapters/dynamo/cursor';
import { jwtExpiry } from '../../lambdas/adapters/upstream/deepopinion-auth';
import { readJsonCapped, UpstreamFailure } from '../../lambdas/adapters/upstream/response';

const expected = { attribute: 'pk', value: 'TEAM#a', keys: ['pk', 'sk'], startsWith: { sk: 'SUB#' } } as const;
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

describe('pagination cursors', () => {
  it('round-trip a key of the expected shape', () => {
    const key = marshall({ pk: 'TEAM#a', sk: 'SUB#sub_1' });

    expect(decodeCursor(encodeCursor(key) ?? undefined, expected)).toEqual(key);
    expect(encodeCursor(undefined)).toBeNull();
    expect(decodeCursor(undefined, expected)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['another partition', cursorOf({ pk: 'TEAM#b', sk: 'SUB#1' })],
    ['a missing key', cursorOf({ pk: 'TEAM#a' })],
    ['an extra key', cursorOf({ pk: 'TEAM#a', sk: 'SUB#1', x: 'y' })],
    ['a non-string value', cursorOf({ pk: 'TEAM#a', sk: 5 })],
    ['another item kind', cursorOf({ pk: 'TEAM#a', sk: 'TOKEN' })],
    ['not an object', cursorOf('TEAM#a')],
    ['null', cursorOf(null)],
  ])('refuse %s', (_name, cursor) => {
    expect(() => decodeCursor(cursor, expected)).toThrow(InvalidCursorError);
  });
});

describe('jwtExpiry', () => {
  const jwt = (claims: unknown) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

  it('reads exp in seconds as epoch milliseconds', () => {
    expect(jwtExpiry(jwt({ exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
  });

  it.each([['no payload', 'opaque-token'], ['no exp', jwt({ sub: 'x' })], ['a string exp', jwt({ exp: '1800000000' })], ['garbage', 'h.!!!.s']])('is undefined for %s', (_name, token) => {
    expect(jwtExpiry(token)).toBeUndefined();
  });
});

describe('readJsonCapped', () => {
  const response = (body: string, headers: Record<string, string> = {}) => new Response(body, { headers });

  it('reads a body exactly at the cap', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(90) });
    expect(await readJsonCapped(response(body), Buffer.byteLength(body))).toEqual({ a: 'x'.repeat(90) });
  });

  it('refuses one byte over the cap, read or declared', async () => {
    const body = JSON.stringify({ a: 'x'.repeat(90) });
    await expect(readJsonCapped(response(body), Buffer.byteLength(body) - 1)).rejects.toMatchObject({ kind: 'too_large' });
    await expect(readJsonCapped(response('{}', { 'content-length': '101' }), 100)).rejects.toBeInstanceOf(UpstreamFailure);
  });

  it('says a body that is not JSON is not JSON', async () => {
    await expect(readJsonCapped(response('{"a":'), 100)).rejects.toThrow(/JSON/);
  });
});
