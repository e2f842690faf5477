import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { TeamStore } from '../../lambdas/adapters/dynamo/team-store';
import { TOKEN_USE_ATTRIBUTES } from '../../lib/constructs/watch-store';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lambdas/api/auth';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { ADMIN_TOKEN, apiHarness } from '../support/api-harness';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let api: Awaited<ReturnType<typeof apiHarness>>;
let clock: number;
let teamA: string;
let teamB: string;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  clock = Date.parse('2026-11-24T12:00:00Z');
  api = await apiHarness(dynamo, simulator, { now: () => new Date(clock) });
  [teamA, teamB] = await Promise.all([api.createTeam('team-a'), api.createTeam('team-b')]);
});

const works = async (token: string) => (await api.call('GET', '/v1/watches', { token })).status;

describe('team tokens', () => {
  it('rotates without downtime: create a second token, switch to it, revoke the first; the revoked one answers 401 at once', async () => {
    clock += 60_000;
    const created = await api.call('POST', '/v1/tokens', { token: teamA, body: { name: 'ci 2026-11' } });
    const second = created.json.token as string;
    const listed = await api.call('GET', '/v1/tokens', { token: second });
    const initial = (listed.json.items as Array<{ id: string; name: string }>).find((t) => t.name === 'initial');

    const statusesBefore = [await works(teamA), await works(second)];
    const revoked = await api.call('DELETE', `/v1/tokens/${initial?.id}`, { token: second });

    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.stringMatching(/^tok_/), name: 'ci 2026-11', expiresAt: null, token: expect.stringMatching(/^wpt_/) });
    expect(listed.json.items.map((t: { name: string }) => t.name)).toEqual(['initial', 'ci 2026-11']);
    expect(JSON.stringify(listed.json)).not.toContain(second);
    expect(listed.json.items.every((t: Record<string, unknown>) => !('token' in t) && !('tokenHash' in t))).toBe(true);
    expect(statusesBefore).toEqual([200, 200]);
    expect(revoked.status).toBe(204);
    expect([await works(teamA), await works(second)]).toEqual([401, 200]);
  });

  it('stops a token at its expiry', async () => {
    const { json } = await api.call('POST', '/v1/tokens', { token: teamA, body: { name: 'short-lived', expiresInDays: 1 } });

    clock += 86_400_000 - 1;
    const before = await works(json.token);
    clock += 1; // the expiry instant itself is past it
    const at = await works(json.token);

    expect(json.expiresAt).toBe('2026-11-25T12:00:00.000Z');
    expect([before, at]).toEqual([200, 401]);
  });

  it('records the last use at most once an hour', async () => {
    const { json } = await api.call('POST', '/v1/tokens', { token: teamA, body: { name: 'used' } });
    const lastUsed = async () => ((await api.call('GET', '/v1/tokens', { token: teamA })).json.items as Array<{ name: string; lastUsedAt: string | null }>).find((t) => t.name === 'used')?.lastUsedAt;

    const unused = await lastUsed();
    await works(json.token);
    clock += 30 * 60_000;
    await works(json.token);
    const withinTheHour = await lastUsed();
    clock += 31 * 60_000;
    await works(json.token);

    expect(unused).toBeNull();
    expect(withinTheHour).toBe('2026-11-24T12:00:00.000Z');
    expect(await lastUsed()).toBe('2026-11-24T13:01:00.000Z');
  });

  it('never shows or revokes another team’s tokens', async () => {
    const own = ((await api.call('GET', '/v1/tokens', { token: teamB })).json.items as Array<{ id: string }>)[0]!;

    const listedByA = await api.call('GET', '/v1/tokens', { token: teamA });
    const revokedByA = await api.call('DELETE', `/v1/tokens/${own.id}`, { token: teamA });

    expect(listedByA.json.items.map((t: { id: string }) => t.id)).not.toContain(own.id);
    expect(revokedByA.status).toBe(404);
    expect(await works(teamB)).toBe(200);
  });

  it('answers 400 naming the field for a bad name or expiry', async () => {
    const result = await api.call('POST', '/v1/tokens', { token: teamA, body: { name: '<script>', expiresInDays: 0 } });

    expect(result.status).toBe(400);
    expect(result.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['expiresInDays', 'name']);
  });
});

describe('operators and tokens', () => {
  it('lists teams, gives a team a token, lists and revokes it; a team token cannot do any of that', async () => {
    const teams = await api.call('GET', '/v1/admin/teams', { token: ADMIN_TOKEN });
    clock += 60_000;
    const created = await api.call('POST', '/v1/admin/teams/team-a/tokens', { token: ADMIN_TOKEN, body: { name: 'replacement' } });
    const listed = await api.call('GET', '/v1/admin/teams/team-a/tokens', { token: ADMIN_TOKEN });
    const works1 = await works(created.json.token);
    const revoked = await api.call('DELETE', `/v1/admin/teams/team-a/tokens/${created.json.id}`, { token: ADMIN_TOKEN });
    const byTeam = await Promise.all([
      api.call('GET', '/v1/admin/teams', { token: teamA }),
      api.call('GET', '/v1/admin/teams/team-b/tokens', { token: teamA }),
    ]);

    expect(teams.json.items.map((t: { id: string }) => t.id).sort()).toEqual(['team-a', 'team-b']);
    expect(created.status).toBe(201);
    expect(listed.json.items.map((t: { name: string }) => t.name)).toEqual(['initial', 'replacement']);
    expect(works1).toBe(200);
    expect(revoked.status).toBe(204);
    expect(await works(created.json.token)).toBe(401);
    expect(byTeam.map((r) => r.status)).toEqual([401, 401]);
    expect((await api.call('GET', '/v1/admin/teams/nobody/tokens', { token: ADMIN_TOKEN })).status).toBe(404);
  });
});

describe('a team written before tokens had names', () => {
  it('has its only token adopted on first use: then listed as "initial", revocable, and the team listed for operators', async () => {
    // As the first release stored a team: its item outside the team index, a lookup item with no token id.
    const legacyToken = 'wpt_legacy0123456789abcdefghijklmnopqrstuv';
    await dynamo.client.send(new PutItemCommand({ TableName: api.tableName, Item: marshall({ pk: 'TEAM#old-team', sk: 'TEAM', id: 'old-team', name: 'old-team', createdAt: '2026-10-01T00:00:00.000Z' }) }));
    await dynamo.client.send(new PutItemCommand({ TableName: api.tableName, Item: marshall({ pk: `TOKEN#${sha256Hex(legacyToken)}`, sk: 'TOKEN', teamId: 'old-team', createdAt: '2026-10-01T00:00:00.000Z' }) }));
    const teamsBefore = await api.call('GET', '/v1/admin/teams', { token: ADMIN_TOKEN });

    const firstUse = await works(legacyToken);
    const listed = await api.call('GET', '/v1/tokens', { token: legacyToken });
    const teamsAfter = await api.call('GET', '/v1/admin/teams', { token: ADMIN_TOKEN });
    await works(legacyToken); // a second use adopts nothing more
    const listedAgain = await api.call('GET', '/v1/admin/teams/old-team/tokens', { token: ADMIN_TOKEN });
    const [adopted] = listed.json.items as Array<{ id: string; name: string; createdAt: string }>;
    const revoked = await api.call('DELETE', `/v1/admin/teams/old-team/tokens/${adopted?.id}`, { token: ADMIN_TOKEN });

    expect(teamsBefore.json.items.map((t: { id: string }) => t.id)).not.toContain('old-team');
    expect(firstUse).toBe(200);
    expect(listed.json.items).toEqual([{ id: expect.stringMatching(/^tok_[0-9a-f]{16}$/), name: 'initial', createdAt: '2026-10-01T00:00:00.000Z', expiresAt: null, lastUsedAt: expect.any(String) }]);
    expect(teamsAfter.json.items.map((t: { id: string }) => t.id)).toContain('old-team');
    expect(listedAgain.json.items).toHaveLength(1);
    expect(revoked.status).toBe(204);
    expect(await works(legacyToken)).toBe(401);
  });
});

describe('what authentication writes, against what the authorizer is granted in AWS', () => {
  it('touches only token and team items, and only the attributes its IAM condition lists (a miss is AccessDenied only in AWS)', async () => {
    const client = localDynamoClient(dynamo.endpoint);
    const writes: Array<{ command: string; input: Record<string, unknown> }> = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        const command = String(context.commandName);
        if (command !== 'GetItemCommand') writes.push({ command, input: args.input as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'recordWrites' },
    );
    const teams = new TeamStore(client, api.tableName);
    const legacyToken = 'wpt_legacy_grants_0123456789abcdefghijklmn';
    await dynamo.client.send(new PutItemCommand({ TableName: api.tableName, Item: marshall({ pk: 'TEAM#grants-team', sk: 'TEAM', id: 'grants-team', name: 'grants-team', createdAt: '2026-10-01T00:00:00.000Z' }) }));
    await dynamo.client.send(new PutItemCommand({ TableName: api.tableName, Item: marshall({ pk: `TOKEN#${sha256Hex(legacyToken)}`, sk: 'TOKEN', teamId: 'grants-team', createdAt: '2026-10-01T00:00:00.000Z' }) }));

    expect(await teams.teamIdForTokenHash(sha256Hex(legacyToken), new Date(clock))).toBe('grants-team');
    expect(await teams.teamIdForTokenHash(sha256Hex(legacyToken), new Date(clock + 2 * 3600_000))).toBe('grants-team');

    expect(writes.map((w) => w.command).sort()).toEqual(['PutItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand', 'UpdateItemCommand']);
    for (const { input } of writes) {
      const key = unmarshall((input.Key ?? input.Item) as Record<string, AttributeValue>) as { pk: string };
      expect(key.pk).toMatch(/^(TOKEN|TEAM)#/);
      const names = input.Item
        ? Object.keys(input.Item as object)
        : [...`${String(input.UpdateExpression)} ${String(input.ConditionExpression ?? '')}`.matchAll(/(?<![:#\w])([a-zA-Z]\w*)/g)]
            .map((m) => m[1]!)
            .filter((word) => !['SET', 'REMOVE', 'AND', 'attribute_exists', 'attribute_not_exists'].includes(word));
      expect(names.filter((name) => !(TOKEN_USE_ATTRIBUTES as readonly string[]).includes(name))).toEqual([]);
    }
  });
});
