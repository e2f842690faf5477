import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';


/**
 * "No two ticks at once" without reserved concurrency: a tick first takes
 * this lease with a conditional write and gives it back when done. A tick
 * that finds it held skips; one that dies holding it lets it expire at
 * `until` (its Lambda's timeout), so a crash never stops polling for longer.
 */
export class TickLease {
  private readonly key: Record<string, AttributeValue>;

  /** `name`: which ticks exclude each other; each poller segment of a fan-out has its own. */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    name = 'poll-tick',
  ) {
    this.key = marshall({ pk: `LEASE#${name}`, sk: 'LEASE' });
  }

  async acquire(holder: string, now: Date, until: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET #holder = :holder, #until = :until',
          ConditionExpression: 'attribute_not_exists(#until) OR #until <= :now',
          ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseUntil' },
          ExpressionAttributeValues: marshall({ ':holder': holder, ':until': until.toISOString(), ':now': now.toISOString() }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives the lease back, if this holder still has it. */
  async release(holder: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET #until = :now',
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseUntil' },
          ExpressionAttributeValues: marshall({ ':holder': holder, ':now': now.toISOString() }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
