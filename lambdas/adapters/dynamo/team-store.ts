import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { teamPk } from './keys';

export interface Team {
  id: string;
  name: string;
  createdAt: string;
}

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

  async createTeam(team: Team, tokenHash: string): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ pk: teamPk(team.id), sk: 'TEAM', ...team }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TeamExistsError(team.name);
      throw error;
    }
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN', teamId: team.id, createdAt: team.createdAt }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async teamIdForTokenHash(tokenHash: string): Promise<string | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }) }),
    );
    return result.Item ? (unmarshall(result.Item).teamId as string) : undefined;
  }
}
