import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Subscription, SubscriptionStatus } from '../../domain/subscription';
import type { HourBucket } from '../../domain/delivery-figures';
import type { DisabledReason } from '../../domain/subscription-notice';
import { decodeCursor, encodeCursor, type Page } from './cursor';
import { subscriptionKey, SUBSCRIPTION_PREFIX, teamPk } from './keys';

export type { Subscription, SubscriptionFilter, SubscriptionStatus, Channel } from '../../domain/subscription';

/** Subscriptions, kept in their team's partition (see keys.ts). */
export class SubscriptionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(subscription: Subscription): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: marshall({ ...subscriptionKey(subscription.team, subscription.id), ...subscription }, { removeUndefinedValues: true }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(team: string, id: string): Promise<Subscription | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(subscriptionKey(team, id)), ConsistentRead: true }),
    );
    return result.Item ? toSubscription(result.Item) : undefined;
  }

  async list(team: string, limit: number, cursor?: string): Promise<Page<Subscription>> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': teamPk(team), ':prefix': SUBSCRIPTION_PREFIX }),
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor, { attribute: 'pk', value: teamPk(team), keys: ['pk', 'sk'], startsWith: { sk: SUBSCRIPTION_PREFIX } }),
      }),
    );
    return { items: (result.Items ?? []).map(toSubscription), nextCursor: encodeCursor(result.LastEvaluatedKey) };
  }

  /** Every subscription of a team (a team has at most a few dozen). */
  async all(team: string): Promise<Subscription[]> {
    const items: Subscription[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(team, 100, cursor);
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  /** How many subscriptions a team has (a COUNT query: reads no item data). */
  async count(team: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: marshall({ ':pk': teamPk(team), ':prefix': SUBSCRIPTION_PREFIX }),
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      count += result.Count ?? 0;
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async setStatus(team: string, id: string, status: SubscriptionStatus, extra: Partial<Pick<Subscription, 'snsSubscriptionArn'>> = {}): Promise<void> {
    const sets = ['#status = :status', ...Object.keys(extra).map((key) => `#${key} = :${key}`)];
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: marshall(subscriptionKey(team, id)),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries([['#status', 'status'], ...Object.keys(extra).map((key) => [`#${key}`, key])]),
        ExpressionAttributeValues: marshall({ ':status': status, ...Object.fromEntries(Object.entries(extra).map(([key, value]) => [`:${key}`, value])) }),
      }),
    );
  }

  /**
   * Turns deliveries off for an active subscription, saying when and why.
   * Conditional on it being active, so of several failing deliveries that
   * reach the limit at once only one disables it (and tells the team);
   * returns the subscription as disabled, or undefined when it was not active.
   */
  async disable(team: string, id: string, disabling: { reason: DisabledReason; at: Date }): Promise<Subscription | undefined> {
    return this.conditionalUpdate(team, id, {
      UpdateExpression: 'SET #status = :disabled, disabledAt = :at, disabledReason = :reason',
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({ ':disabled': 'disabled', ':active': 'active', ':at': disabling.at.toISOString(), ':reason': disabling.reason }),
    });
  }

  /**
   * Turns a disabled subscription back on, with a fresh start: the run of
   * failures that disabled it is forgotten. Undefined when it was not disabled.
   */
  async enable(team: string, id: string): Promise<Subscription | undefined> {
    return this.conditionalUpdate(team, id, {
      UpdateExpression: 'SET #status = :active REMOVE disabledAt, disabledReason, failingSince',
      ConditionExpression: '#status = :disabled',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({ ':disabled': 'disabled', ':active': 'active' }),
    });
  }

  private async conditionalUpdate(
    team: string,
    id: string,
    update: Pick<import('@aws-sdk/client-dynamodb').UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<Subscription | undefined> {
    try {
      const result = await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: marshall(subscriptionKey(team, id)), ...update, ReturnValues: 'ALL_NEW' }));
      return result.Attributes ? toSubscription(result.Attributes) : undefined;
    } catch (error) {
      // Not in the expected state, or deleted: the caller has nothing to do.
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Changes the filter, description or pause of a subscription the team
   * has; returns it as stored now, or undefined when there is none. A null
   * clears the field.
   */
  async update(team: string, id: string, changes: Partial<Pick<Subscription, 'filter' | 'description' | 'pausedAt' | 'quietHours' | 'digest'>>): Promise<Subscription | undefined> {
    const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
    const sets = entries.filter(([key, value]) => value !== null || key === 'filter');
    const removes = entries.filter(([key, value]) => value === null && key !== 'filter');
    if (entries.length === 0) return this.get(team, id);
    const expression = [
      sets.length > 0 ? `SET ${sets.map(([key]) => `#${key} = :${key}`).join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.map(([key]) => `#${key}`).join(', ')}` : '',
    ].join(' ');
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(subscriptionKey(team, id)),
          UpdateExpression: expression.trim(),
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([key]) => [`#${key}`, key])),
          ...(sets.length > 0 ? { ExpressionAttributeValues: marshall(Object.fromEntries(sets.map(([key, value]) => [`:${key}`, value])), { removeUndefinedValues: true }) } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes ? toSubscription(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Replaces the signing secret, keeping the one it replaces as the previous
   * secret until `previousSecretExpiresAt`; conditional on the secret still
   * being `expected`, so two rotations at once cannot lose a secret that was
   * already shown to someone. False when another rotation (or a delete) came first.
   */
  async rotateSecret(team: string, id: string, expected: string, next: { secret: string; previousSecretExpiresAt: string }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(subscriptionKey(team, id)),
          UpdateExpression: 'SET #secret = :secret, #previous = :expected, #expires = :expires',
          ConditionExpression: '#secret = :expected',
          ExpressionAttributeNames: { '#secret': 'secret', '#previous': 'previousSecret', '#expires': 'previousSecretExpiresAt' },
          ExpressionAttributeValues: marshall({ ':secret': next.secret, ':expected': expected, ':expires': next.previousSecretExpiresAt }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Deletes and returns the subscription, or undefined when the team has none by that id. */
  async delete(team: string, id: string): Promise<Subscription | undefined> {
    const result = await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: marshall(subscriptionKey(team, id)), ReturnValues: 'ALL_OLD' }),
    );
    return result.Attributes ? toSubscription(result.Attributes) : undefined;
  }
}

/** The delivery store's hourly buckets on the item (`deliveryHour0`…`deliveryHour23`), gathered into one list. */
const BUCKET = /^deliveryHour\d+$/;

function toSubscription(item: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue>): Subscription {
  const { pk: _pk, sk: _sk, ...rest } = unmarshall(item);
  const deliveryHours: HourBucket[] = [];
  for (const name of Object.keys(rest)) {
    if (!BUCKET.test(name)) continue;
    const { hour, delivered, failed, latency } = rest[name] as HourBucket;
    deliveryHours.push({ hour: Number(hour), delivered: Number(delivered), failed: Number(failed), latency: (latency ?? []).map(Number) });
    delete rest[name];
  }
  return { filter: null, ...rest, ...(deliveryHours.length > 0 ? { deliveryHours: deliveryHours.sort((a, b) => a.hour - b.hour) } : {}) } as Subscription;
}
