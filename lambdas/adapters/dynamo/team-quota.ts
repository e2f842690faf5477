import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { teamPk } from './keys';
import { SubscriptionStore } from './subscription-store';
import { WatchStore } from './watch-store';

export type QuotaKind = 'watches' | 'subscriptions';

export interface TeamQuotaOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Counts what the team really has of a kind (used to start and to repair a counter). */
  countActual: (team: string, kind: QuotaKind) => Promise<number>;
  /**
   * How long after the last change to a counter it may be repaired from a
   * count. Longer than any create or delete can take between its two writes
   * (the API's timeout is 29 s), so a repair never races one in flight.
   * @default 120 s
   */
  settleMs?: number;
}

const quotaKey = (team: string, kind: QuotaKind) => marshall({ pk: teamPk(team), sk: `QUOTA#${kind}` });

/**
 * A per-team limit that cannot be overshot, without transactions: a counter
 * item taken with a conditional increment before anything is created, and
 * given back when a create fails or a delete succeeds.
 *
 * A process that dies between its two writes leaves the counter one too high
 * (never too low: deletes mark the counter before they remove anything). A
 * team that then hits its limit gets the counter repaired from a real count,
 * once the counter has been still for `settleMs`.
 */
export class TeamQuota {
  private readonly settleMs: number;

  constructor(private readonly options: TeamQuotaOptions) {
    this.settleMs = options.settleMs ?? 120_000;
  }

  /** Quotas over Watchpost's table, counting watches and subscriptions where they live. */
  static forTable(client: DynamoDBClient, tableName: string, settleMs?: number): TeamQuota {
    const watches = new WatchStore({ client, tableName });
    const subscriptions = new SubscriptionStore(client, tableName);
    return new TeamQuota({
      client,
      tableName,
      settleMs,
      countActual: (team, kind) => (kind === 'watches' ? watches.countByTeam(team) : subscriptions.count(team)),
    });
  }

  /** Takes one unit of the team's quota; false when the team is at its limit. */
  async reserve(team: string, kind: QuotaKind, limit: number, now: Date): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.increment(team, kind, limit, now)) return true;
      const counter = await this.read(team, kind);
      if (!counter) {
        await this.initialize(team, kind);
        continue;
      }
      if (counter.used < limit) continue; // given back meanwhile
      if (!(await this.repair(team, kind, counter, now))) return false;
    }
    return false;
  }

  /** Gives one unit back (a create that failed, or a delete that happened). */
  async release(team: string, kind: QuotaKind, now: Date): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: quotaKey(team, kind),
          UpdateExpression: 'SET #used = #used - :one, #changedAt = :now',
          ConditionExpression: '#used > :zero',
          ExpressionAttributeNames: { '#used': 'used', '#changedAt': 'changedAt' },
          ExpressionAttributeValues: marshall({ ':one': 1, ':zero': 0, ':now': now.toISOString() }),
        }),
      );
    } catch (error) {
      // Already at zero (or never started): nothing to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Marks the counter as changing, before a delete removes anything, so a
   * repair cannot count the deleted item as gone and then see it released too.
   */
  async touch(team: string, kind: QuotaKind, now: Date): Promise<void> {
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: quotaKey(team, kind),
        UpdateExpression: 'SET #changedAt = :now',
        ExpressionAttributeNames: { '#changedAt': 'changedAt' },
        ExpressionAttributeValues: marshall({ ':now': now.toISOString() }),
      }),
    );
  }

  /** The counter as stored, for the API and tests. */
  async read(team: string, kind: QuotaKind): Promise<{ used: number; changedAt: string } | undefined> {
    const result = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: quotaKey(team, kind), ConsistentRead: true }));
    if (!result.Item) return undefined;
    const item = unmarshall(result.Item);
    if (typeof item.used !== 'number') return undefined;
    return { used: item.used, changedAt: String(item.changedAt ?? '') };
  }

  private async increment(team: string, kind: QuotaKind, limit: number, now: Date): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: quotaKey(team, kind),
          UpdateExpression: 'SET #used = #used + :one, #changedAt = :now',
          ConditionExpression: '#used < :limit',
          ExpressionAttributeNames: { '#used': 'used', '#changedAt': 'changedAt' },
          ExpressionAttributeValues: marshall({ ':one': 1, ':limit': limit, ':now': now.toISOString() }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * A team's first counter starts from what it has (teams from before
   * counters existed included). Safe: no create can be in flight without a counter.
   */
  private async initialize(team: string, kind: QuotaKind): Promise<void> {
    const used = await this.options.countActual(team, kind);
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: quotaKey(team, kind),
          UpdateExpression: 'SET #used = :used, #changedAt = if_not_exists(#changedAt, :epoch)',
          ConditionExpression: 'attribute_not_exists(#used)',
          ExpressionAttributeNames: { '#used': 'used', '#changedAt': 'changedAt' },
          ExpressionAttributeValues: marshall({ ':used': used, ':epoch': new Date(0).toISOString() }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Lowers a counter left too high by a crash; true when it found room. */
  private async repair(team: string, kind: QuotaKind, counter: { used: number; changedAt: string }, now: Date): Promise<boolean> {
    const still = now.getTime() - Date.parse(counter.changedAt || '1970-01-01T00:00:00Z');
    if (!(still >= this.settleMs)) return false;
    const actual = await this.options.countActual(team, kind);
    if (actual >= counter.used) return false;
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: quotaKey(team, kind),
          UpdateExpression: 'SET #used = :actual',
          // Only if nothing changed since it was read: otherwise the count may be stale.
          ConditionExpression: '#used = :seen AND #changedAt = :seenAt',
          ExpressionAttributeNames: { '#used': 'used', '#changedAt': 'changedAt' },
          ExpressionAttributeValues: marshall({ ':actual': actual, ':seen': counter.used, ':seenAt': counter.changedAt }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return true;
  }
}
