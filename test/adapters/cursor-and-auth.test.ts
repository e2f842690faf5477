import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { CursorSigner, decodeCursor, encodeCursor, InvalidCursorError, MAX_CURSOR_LENGTH } from '../../lambdas/adapters/dynamo/cursor';
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
  it('accept key values up to 256 bytes and refuse longer ones (DynamoDB refuses start keys past 1,024)', () => {
    const at = (length: number) => cursorOf({ pk: 'TEAM#a', sk: `SUB#${'x'.repeat(length - 4)}` });

    expect(decodeCursor(at(256), expected)).toEqual(marshall({ pk: 'TEAM#a', sk: `SUB#${'x'.repeat(252)}` }));
    expect(() => decodeCursor(at(257), expected)).toThrow(InvalidCursorError);
    // Bytes, not characters: 131 characters, 258 bytes.
    expect(() => decodeCursor(cursorOf({ pk: 'TEAM#a', sk: `SUB#${'é'.repeat(127)}` }), expected)).toThrow(InvalidCursorError);
  });

  it('refuse a cursor over the length bound before decoding it', () => {
    expect(MAX_CURSOR_LENGTH).toBe(1024);
    expect(() => decodeCursor(`${cursorOf({ pk: 'TEAM#a', sk: 'SUB#1' })}${'A'.repeat(1024)}`, expected)).toThrow(InvalidCursorError);
  });
});

describe('CursorSigner', () => {
  const KEY = 'k'.repeat(32);
  const signer = new CursorSigner(async () => KEY);
  const scope = { team: 'team-a', list: 'subscriptions' };
  const inner = cursorOf({ pk: 'TEAM#team-a', sk: 'SUB#sub_1' });
  const refused = (signed: string, at = scope) => expect(signer.verify(signed, at)).rejects.toThrow(InvalidCursorError);

  it('signs a cursor as <cursor>.<HMAC-SHA256 of version, list, team and cursor>, and gives it back', async () => {
    const mac = createHmac('sha256', KEY).update(JSON.stringify(['watchpost-cursor-v1', 'subscriptions', 'team-a', inner])).digest('base64url');

    const signed = await signer.sign(inner, scope);

    expect(signed).toBe(`${inner}.${mac}`);
    expect(await signer.verify(signed!, scope)).toBe(inner);
  });

  it('passes the last page (null) and the first (undefined) through', async () => {
    expect(await signer.sign(null, scope)).toBeNull();
    expect(await signer.verify(undefined, scope)).toBeUndefined();
  });

  it('refuses a cursor signed for another team, another list, or under another key', async () => {
    const signed = (await signer.sign(inner, scope))!;
    const otherKey = (await new CursorSigner(async () => 'o'.repeat(32)).sign(inner, scope))!;

    await refused(signed, { team: 'team-b', list: 'subscriptions' });
    await refused(signed, { team: 'team-a', list: 'watches' });
    await refused(otherKey);
  });

  it('refuses an unsigned cursor, an edited one, and one whose signature differs only in spare bits', async () => {
    const signed = (await signer.sign(inner, scope))!;
    const [, mac] = signed.split('.') as [string, string];
    const edited = `${cursorOf({ pk: 'TEAM#team-a', sk: 'SUB#sub_2' })}.${mac}`;
    // The last of 43 base64url characters carries 4 bits of the MAC and 2 spare ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spare = mac.slice(0, -1) + alphabet[alphabet.indexOf(mac.at(-1)!) ^ 1]!;
    expect(Buffer.from(spare, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);

    await refused(inner);
    await refused(edited);
    await refused(`${inner}.${spare}`);
  });

  it.each([
    ['no cursor before the dot', (mac: string) => `.${mac}`],
    ['a short signature', (mac: string) => `${inner}.${mac.slice(1)}`],
    ['a long signature', (mac: string) => `${inner}.${mac}A`],
    ['a signature outside base64url', (mac: string) => `${inner}.${mac.slice(1)}=`],
    ['a cursor outside base64url', (mac: string) => `${inner}=.${mac}`],
    ['an empty string', () => ''],
  ])('refuses %s', async (_case, build) => {
    const mac = (await signer.sign(inner, scope))!.split('.')[1]!;
    await refused(build(mac));
  });

  it('accepts a signed cursor of exactly 1,024 characters and refuses one longer, saying so', async () => {
    const of = (length: number) => 'A'.repeat(length - 44);
    const atBound = (await signer.sign(of(1024), scope))!;
    const over = (await signer.sign(of(1025), scope))!;

    expect(atBound).toHaveLength(1024);
    expect(await signer.verify(atBound, scope)).toBe(of(1024));
    await expect(signer.verify(over, scope)).rejects.toThrow('cursor is longer than any this API issues (at most 1024 characters)');
  });

  it('says a refused cursor is not one this API issued', async () => {
    await expect(signer.verify(inner, scope)).rejects.toThrow('cursor is not one this API issued for this list');
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
