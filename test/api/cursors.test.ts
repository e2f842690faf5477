import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
let tokens: Record<'a' | 'b', string>;
/** Per team: one watch with three events in its history (the events route's own watch). */
let eventsWatch: Record<'a' | 'b', string>;
/** Team A's second watch, with events of its own. */
let otherWatch: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
  await seed();
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});

async function recordEvents(watchId: string): Promise<void> {
  for (const minute of [1, 2, 3]) {
    const id = `evt_${watchId}_${minute}`;
    const time = `2026-11-23T12:0${minute}:00Z`;
    await dynamo.client.send(
      new PutItemCommand({
        TableName: api.tableName,
        Item: marshall({ pk: `WATCH#${watchId}`, sk: `EVENT#${time}#${id}`, eventId: id, type: 'changed', event: JSON.stringify({ id, time }) }),
      }),
    );
  }
}

/** Every test only reads: one table, seeded once. */
async function seed(): Promise<void> {
  api = await apiHarness(dynamo, simulator);
  tokens = { a: await api.createTeam('team-a'), b: await api.createTeam('team-b') };
  for (const id of ['ds_1', 'ds_2', 'ds_3']) simulator.putDataset(id);
  const ids: Record<string, string[]> = { a: [], b: [] };
  for (const team of ['a', 'b'] as const) {
    for (const id of ['ds_1', 'ds_2', 'ds_3']) {
      const watch = await api.call('POST', '/v1/watches', { token: tokens[team], body: { resource: { type: 'dataset', datasetId: id } } });
      ids[team]!.push(watch.json.id as string);
      const sub = await api.call('POST', '/v1/subscriptions', { token: tokens[team], body: { channel: 'webhook', url: `https://receiver.example.com/${team}/${id}` } });
      expect(sub.status).toBe(201);
    }
  }
  eventsWatch = { a: ids.a![0]!, b: ids.b![0]! };
  otherWatch = ids.a![1]!;
  for (const watchId of [eventsWatch.a, eventsWatch.b, otherWatch]) await recordEvents(watchId);
}

type Team = 'a' | 'b';
const routes: Array<[string, (team: Team) => string]> = [
  ['GET /v1/watches', () => '/v1/watches'],
  ['GET /v1/subscriptions', () => '/v1/subscriptions'],
  ['GET /v1/watches/{id}/events', (team) => `/v1/watches/${eventsWatch[team]}/events`],
];

const list = (path: string, team: Team, query: Record<string, string> = {}) => api.call('GET', path, { token: tokens[team], query: { limit: '1', ...query } });

async function cursorOf(path: string, team: Team, after?: string): Promise<string> {
  const page = await list(path, team, after ? { cursor: after } : {});
  expect(page.status).toBe(200);
  return page.json.nextCursor as string;
}

/** The part of a cursor that is a base64url JSON object: the store's key. */
function keyPart(cursor: string): { index: number; key: Record<string, string> } {
  const parts = cursor.split('.');
  for (const [index, part] of parts.entries()) {
    try {
      const key = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
      if (typeof key === 'object' && key !== null) return { index, key: key as Record<string, string> };
    } catch {
      // not this part
    }
  }
  throw new Error(`no key in cursor ${cursor}`);
}

function withKey(cursor: string, key: Record<string, string>): string {
  const parts = cursor.split('.');
  parts[keyPart(cursor).index] = Buffer.from(JSON.stringify(key)).toString('base64url');
  return parts.join('.');
}

const unsigned = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');

async function expectCursorRefused(path: string, team: Team, cursor: string): Promise<void> {
  const result = await list(path, team, { cursor });
  expect(result.status).toBe(400);
  expect(result.headers['content-type']).toBe('application/problem+json');
  expect(result.json.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  expect(api.logger.at('error')).toEqual([]);
}

describe.each(routes)('cursors of %s', (_name, pathOf) => {
  it('page on when they are the API’s own', async () => {
    const path = pathOf('a');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(path, 'a', cursor ? { cursor } : {});
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((item: { id: string }) => item.id));
      cursor = page.json.nextCursor ?? undefined;
    } while (cursor);

    expect(new Set(seen).size).toBe(3);
    expect(seen).toHaveLength(3);
  });

  it('refuse a forged key in the caller’s own partition (not signed by the API)', async () => {
    const genuine = await cursorOf(pathOf('a'), 'a');

    await expectCursorRefused(pathOf('a'), 'a', unsigned(keyPart(genuine).key));
  });

  it('refuse a forged key padded past DynamoDB’s 1,024-byte key limit with a 400, not a 500', async () => {
    const { key } = keyPart(await cursorOf(pathOf('a'), 'a'));
    const padded = Object.fromEntries(Object.entries(key).map(([name, value]) => [name, name.endsWith('pk') ? value : value + 'x'.repeat(1100)]));

    await expectCursorRefused(pathOf('a'), 'a', unsigned(padded));
  });

  it('refuse an edited cursor that stays inside the caller’s own data', async () => {
    const first = await cursorOf(pathOf('a'), 'a');
    const second = await cursorOf(pathOf('a'), 'a', first);
    // The first cursor, its key swapped for the second's: a page skipped by hand.
    const edited = withKey(first, keyPart(second).key);
    expect(edited).not.toBe(first);

    await expectCursorRefused(pathOf('a'), 'a', edited);
  });

  it('refuse a cursor with one character changed', async () => {
    const genuine = await cursorOf(pathOf('a'), 'a');
    const at = genuine.length - 3;
    const flipped = genuine.slice(0, at) + (genuine[at] === 'A' ? 'B' : 'A') + genuine.slice(at + 1);

    await expectCursorRefused(pathOf('a'), 'a', flipped);
  });

  it.each([
    ['just over the bound', 1_025],
    ['far over it', 100_000],
  ])('refuse an oversized cursor (%s)', async (_case, length) => {
    await expectCursorRefused(pathOf('a'), 'a', 'A'.repeat(length));
  });

  it('refuse another team’s cursor', async () => {
    const theirs = await cursorOf(pathOf('b'), 'b');

    await expectCursorRefused(pathOf('a'), 'a', theirs);
  });

  it.each(routes.filter(([other]) => other !== _name))('refuse a cursor of %s', async (_other, otherPathOf) => {
    const elsewhere = await cursorOf(otherPathOf('a'), 'a');

    await expectCursorRefused(pathOf('a'), 'a', elsewhere);
  });
});

describe('events cursors', () => {
  it('are bound to their watch: another watch of the same team refuses them', async () => {
    const ofOther = await cursorOf(`/v1/watches/${otherWatch}/events`, 'a');

    await expectCursorRefused(`/v1/watches/${eventsWatch.a}/events`, 'a', ofOther);
  });
});
