import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { teamPk } from './keys';
import { TABLE_LAYOUT } from './table';

export interface Team {
  id: string;
  name: string;
  createdAt: string;
}

/** A team token as the team and operators see it: never the token, only what describes it. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  /** After this the token no longer works; null: it does not expire. */
  expiresAt: string | null;
  /** Recorded at most once an hour per token, not on every request. */
  lastUsedAt: string | null;
}

/** How stale a recorded last use may get before a request refreshes it. */
const LAST_USED_GRANULARITY_MS = 3600_000;

export class TeamExistsError extends Error {
  constructor(name: string) {
    super(`a team named "${name}" exists already`);
    this.name = 'TeamExistsError';
  }
}

/**
 * Teams and their API tokens. A token is stored only as its SHA-256 hash,
 * keyed by that hash, so authentication is one GetItem and a leaked table
 * holds no usable token.
 */
export class TeamStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Creates the team and its first token (named `initial`). */
  async createTeam(team: Team, tokenHash: string, token: Omit<TokenInfo, 'lastUsedAt' | 'createdAt' | 'name'> & { name?: string } = { id: `tok_${tokenHash.slice(0, 16)}`, expiresAt: null }): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ pk: teamPk(team.id), sk: 'TEAM', teamPk: TEAMS_INDEX_KEY, teamSk: `TEAM#${team.id}`, ...team }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TeamExistsError(team.name);
      throw error;
    }
    await this.addToken(team.id, tokenHash, { id: token.id, name: token.name ?? 'initial', createdAt: team.createdAt, expiresAt: token.expiresAt, lastUsedAt: null });
  }

  /** Every team (operators only; a handful to a few hundred items). */
  async listTeams(): Promise<Team[]> {
    const teams: Team[] = [];
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_LAYOUT.teamIndex.name,
          KeyConditionExpression: '#teamPk = :kind',
          ExpressionAttributeNames: { '#teamPk': TABLE_LAYOUT.teamIndex.partitionKey },
          ExpressionAttributeValues: marshall({ ':kind': TEAMS_INDEX_KEY }),
          ExclusiveStartKey: startKey,
        }),
      );
      teams.push(...(page.Items ?? []).map((item) => pickTeam(unmarshall(item))));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return teams;
  }

  async getTeam(teamId: string): Promise<Team | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: teamPk(teamId), sk: 'TEAM' }), ConsistentRead: true }));
    return result.Item ? pickTeam(unmarshall(result.Item)) : undefined;
  }

  /**
   * Stores a token: the lookup item keyed by its hash (what authentication
   * reads) and a reference in the team's partition (what listing reads).
   */
  async addToken(teamId: string, tokenHash: string, info: TokenInfo): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN', teamId, tokenId: info.id, createdAt: info.createdAt, expiresAt: info.expiresAt }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: teamPk(teamId), sk: `TOKENREF#${info.id}`, tokenHash, ...info }, { removeUndefinedValues: true }),
      }),
    );
  }

  /** The team's tokens, newest last, never the token itself. */
  async listTokens(teamId: string): Promise<TokenInfo[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': teamPk(teamId), ':prefix': 'TOKENREF#' }),
        ConsistentRead: true,
      }),
    );
    // The lookup items hold the last use (written where authentication reads); a team has a handful, read at once.
    const tokens = await Promise.all(
      (result.Items ?? []).map(async (item): Promise<TokenInfo> => {
        const ref = unmarshall(item) as TokenInfo & { tokenHash: string };
        const lookup = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: `TOKEN#${ref.tokenHash}`, sk: 'TOKEN' }) }));
        const lastUsedAt = lookup.Item ? ((unmarshall(lookup.Item).lastUsedAt as string | undefined) ?? null) : null;
        return { id: ref.id, name: ref.name, createdAt: ref.createdAt, expiresAt: ref.expiresAt ?? null, lastUsedAt };
      }),
    );
    return tokens.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** Revokes one of the team's tokens: false when the team has no such token. Effective on the next lookup. */
  async revokeToken(teamId: string, tokenId: string): Promise<boolean> {
    const ref = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: teamPk(teamId), sk: `TOKENREF#${tokenId}` }), ConsistentRead: true }),
    );
    if (!ref.Item) return false;
    const { tokenHash } = unmarshall(ref.Item) as { tokenHash: string };
    // The lookup item first: once it is gone the token no longer authenticates, whatever happens next.
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }) }));
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ pk: teamPk(teamId), sk: `TOKENREF#${tokenId}` }) }));
    return true;
  }

  /**
   * The team of a token, if it is known and not expired. Records its use at
   * most once an hour (a conditional write only when the last record is older).
   */
  async teamIdForTokenHash(tokenHash: string, now: Date = new Date()): Promise<string | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }) }));
    if (!result.Item) return undefined;
    const owner = unmarshall(result.Item) as { teamId: string; tokenId?: string; createdAt?: string; expiresAt?: string | null; lastUsedAt?: string | null };
    if (owner.expiresAt && Date.parse(owner.expiresAt) <= now.getTime()) return undefined;
    if (!owner.tokenId) await this.adoptLegacyToken(tokenHash, owner.teamId, owner.createdAt ?? now.toISOString()).catch(() => undefined);
    if (!owner.lastUsedAt || now.getTime() - Date.parse(owner.lastUsedAt) >= LAST_USED_GRANULARITY_MS) {
      await this.recordUse(tokenHash, owner.lastUsedAt ?? null, now).catch(() => undefined);
    }
    return owner.teamId;
  }

  /**
   * A token written before tokens had names (a team's only token, from
   * createTeam) becomes a listed, revocable one named `initial` on its first
   * use, and its team joins the team index: the migration runs itself, one
   * team at a time, at the cost of three writes once. The lookup item is
   * marked last, so a crash half-way is finished by the next request.
   */
  private async adoptLegacyToken(tokenHash: string, teamId: string, createdAt: string): Promise<void> {
    const id = `tok_${tokenHash.slice(0, 16)}`;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: teamPk(teamId), sk: `TOKENREF#${id}`, tokenHash, id, name: 'initial', createdAt, expiresAt: null }),
      }),
    );
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: teamPk(teamId), sk: 'TEAM' }),
        UpdateExpression: 'SET teamPk = :kind, teamSk = :sort',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: marshall({ ':kind': TEAMS_INDEX_KEY, ':sort': `TEAM#${teamId}` }),
      }),
    );
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
        UpdateExpression: 'SET tokenId = :id',
        // Not brought back if it was revoked meanwhile (it could not have been: it was not listed, but the condition costs nothing).
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(tokenId)',
        ExpressionAttributeValues: marshall({ ':id': id }),
      }),
    );
  }

  private async recordUse(tokenHash: string, previous: string | null, now: Date): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
        UpdateExpression: 'SET lastUsedAt = :now',
        // Only one of many concurrent requests writes; a revoked token is not brought back.
        ConditionExpression: previous === null ? 'attribute_exists(pk) AND attribute_not_exists(lastUsedAt)' : 'attribute_exists(pk) AND lastUsedAt = :previous',
        ExpressionAttributeValues: marshall(previous === null ? { ':now': now.toISOString() } : { ':now': now.toISOString(), ':previous': previous }),
      }),
    );
  }
}

/** Team items carry this in the team index's partition key, so operators can list every team with one Query. */
const TEAMS_INDEX_KEY = 'TEAMS';

function pickTeam(item: Record<string, unknown>): Team {
  return { id: item.id as string, name: item.name as string, createdAt: item.createdAt as string };
}
