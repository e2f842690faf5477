import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { WatchEvent } from '../../domain/events';
import type { PollStore, WatchCommit } from '../../domain/ports';
import type { Snapshot } from '../../domain/snapshot';
import { resourceKey } from '../../domain/resource';
import type { TrackedField } from '../../domain/resource';
import type { Watch } from '../../domain/watch';
import { decodeCursor, encodeCursor, type Page } from './cursor';
import { TABLE_LAYOUT } from './table';
import { teamPk } from './keys';
import { itemToWatch, pollShardAttribute, watchPk, watchToItem, WATCH_SK, type Item } from './watch-item';

export interface WatchStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Watches per Scan page. */
  pageSize?: number;
  /** How long event history is kept. */
  historyDays?: number;
}

const DAY_SECONDS = 86_400;

export interface WatchSettings {
  notifyOn?: TrackedField[] | undefined;
  label?: string | null | undefined;
  paused?: boolean | undefined;
}

/** One item per (team, resource), naming the team's watch on it: makes registration idempotent. */
const guardKey = (team: string, key: string) => marshall({ pk: `GUARD#${team}#${key}`, sk: 'GUARD' });
const BATCH_WRITE_LIMIT = 25;

/** DynamoDB persistence of watches, their outboxes and event history. */
export class WatchStore implements PollStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly pageSize: number;
  private readonly historyDays: number;

  constructor(options: WatchStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.pageSize = options.pageSize ?? 200;
    this.historyDays = options.historyDays ?? 90;
  }

  async putWatch(watch: Watch): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: watchToItem(watch),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getWatch(watchId: string): Promise<Watch | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk: watchPk(watchId), sk: WATCH_SK }), ConsistentRead: true }),
    );
    return result.Item ? itemToWatch(result.Item) : undefined;
  }

  /** The team's watch on a resource, if it has one. */
  async findByResource(team: string, key: string): Promise<Watch | undefined> {
    const guard = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: guardKey(team, key), ConsistentRead: true }));
    if (!guard.Item) return undefined;
    const watch = await this.getWatch(unmarshall(guard.Item).watchId as string);
    return watch?.team === team ? watch : undefined;
  }

  /**
   * Registers a watch unless the team already watches that resource; returns
   * the watch that now stands for it. Two writes without a transaction: the
   * guard first, so a crash between them leaves a guard whose watch is
   * missing, which the next registration simply takes over.
   */
  async registerWatch(watch: Watch): Promise<{ watch: Watch; created: boolean }> {
    const key = guardKey(watch.team, resourceKey(watch.resource));
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      const staleWatchId = existing.Item ? (unmarshall(existing.Item).watchId as string) : undefined;
      if (staleWatchId) {
        const current = await this.getWatch(staleWatchId);
        if (current) return { watch: current, created: false };
      }
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { ...key, ...marshall({ watchId: watch.watchId }) },
            ConditionExpression: staleWatchId ? 'watchId = :stale' : 'attribute_not_exists(pk)',
            ExpressionAttributeValues: staleWatchId ? marshall({ ':stale': staleWatchId }) : undefined,
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue; // a concurrent registration won; read it
        throw error;
      }
      await this.putWatch(watch);
      return { watch, created: true };
    }
    throw new Error('could not register the watch: the resource guard kept changing');
  }

  /** The team's watches on the byTeam index, in creation order. */
  private teamWatchesQuery(team: string) {
    const { teamIndex } = TABLE_LAYOUT;
    return {
      TableName: this.tableName,
      IndexName: teamIndex.name,
      KeyConditionExpression: '#tpk = :tpk AND begins_with(#tsk, :prefix)',
      ExpressionAttributeNames: { '#tpk': teamIndex.partitionKey, '#tsk': teamIndex.sortKey },
      ExpressionAttributeValues: marshall({ ':tpk': teamPk(team), ':prefix': 'WATCH#' }),
    };
  }

  async listByTeam(team: string, limit: number, cursor?: string): Promise<Page<Watch>> {
    const { teamIndex } = TABLE_LAYOUT;
    const result = await this.client.send(
      new QueryCommand({
        ...this.teamWatchesQuery(team),
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor, {
          attribute: teamIndex.partitionKey,
          value: teamPk(team),
          keys: ['pk', 'sk', teamIndex.partitionKey, teamIndex.sortKey],
        }),
      }),
    );
    return { items: (result.Items ?? []).map(itemToWatch), nextCursor: encodeCursor(result.LastEvaluatedKey) };
  }

  /** How many watches a team has (a COUNT query: reads no item data into the Lambda). */
  async countByTeam(team: string): Promise<number> {
    let count = 0;
    let startKey: Item | undefined;
    do {
      const result = await this.client.send(new QueryCommand({ ...this.teamWatchesQuery(team), Select: 'COUNT', ExclusiveStartKey: startKey }));
      count += result.Count ?? 0;
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /**
   * Changes what a team may change about its watch. Pausing takes it out of
   * the poll index and resuming puts it back; the poller's own fields and
   * version are untouched, so this never races a poll into a lost event.
   */
  async updateSettings(team: string, watchId: string, settings: WatchSettings): Promise<Watch | undefined> {
    const watch = await this.getWatch(watchId);
    if (!watch || watch.team !== team) return undefined;
    const next = { ...watch, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) } as Watch;
    if (settings.label === null) next.label = null;
    const names: Record<string, string> = {
      '#team': 'team',
      '#version': 'version',
      '#notifyOn': 'notifyOn',
      '#label': 'label',
      '#paused': 'paused',
    };
    const values: Record<string, unknown> = { ':team': team, ':version': watch.version, ':notifyOn': next.notifyOn, ':label': next.label, ':paused': next.paused };
    const shard = pollShardAttribute(next).pollShard;
    let update = 'SET #notifyOn = :notifyOn, #label = :label, #paused = :paused';
    // Conditional on the version read: the index decision below holds only for that state.
    const condition = '#team = :team AND #version = :version';
    if (shard) {
      update += ', #pollShard = :shard';
      names['#pollShard'] = TABLE_LAYOUT.pollIndex.partitionKey;
      values[':shard'] = shard;
    } else if (watch.outbox.length === 0) {
      // Out of polling now; a watch that still owes events leaves once the poller has sent them.
      update += ' REMOVE #pollShard';
      names['#pollShard'] = TABLE_LAYOUT.pollIndex.partitionKey;
    }
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: watchPk(watchId), sk: WATCH_SK }),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The poller moved the watch on meanwhile: decide again on what is there now.
      return this.updateSettings(team, watchId, settings);
    }
    return next;
  }

  /** Deletes the team's watch and its registration guard; false when the team has no such watch. */
  async deleteWatch(team: string, watchId: string): Promise<boolean> {
    let old: Record<string, unknown> | undefined;
    try {
      const result = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: watchPk(watchId), sk: WATCH_SK }),
          ConditionExpression: '#team = :team',
          ExpressionAttributeNames: { '#team': 'team' },
          ExpressionAttributeValues: marshall({ ':team': team }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      old = result.Attributes ? unmarshall(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (!old) return false;
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: guardKey(team, old.resourceKey as string),
        ConditionExpression: 'watchId = :id',
        ExpressionAttributeValues: marshall({ ':id': watchId }),
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
    // History items expire through TTL; nothing can reach them without the watch.
    return true;
  }

  /** A watch's recorded events, newest first. */
  async listEvents(watchId: string, limit: number, cursor?: string): Promise<Page<WatchEvent>> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': watchPk(watchId), ':prefix': 'EVENT#' }),
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: decodeCursor(cursor, { attribute: 'pk', value: watchPk(watchId), keys: ['pk', 'sk'] }),
      }),
    );
    return {
      items: (result.Items ?? []).map((item) => JSON.parse(unmarshall(item).event as string) as WatchEvent),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  async *pollablePages(): AsyncIterable<Watch[]> {
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          IndexName: TABLE_LAYOUT.pollIndex.name,
          Limit: this.pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      startKey = page.LastEvaluatedKey;
      const watches = (page.Items ?? []).map(itemToWatch);
      if (watches.length > 0) yield watches;
    } while (startKey);
  }

  async commit(watchId: string, expectedVersion: number, commit: WatchCommit): Promise<boolean> {
    const names: Record<string, string> = {
      '#version': 'version',
      '#snapshot': 'snapshot',
      '#state': 'state',
      '#failures': 'consecutiveFailures',
      '#lastError': 'lastError',
      '#lastPolledAt': 'lastPolledAt',
    };
    const values: Record<string, unknown> = {
      ':expected': expectedVersion,
      ':version': commit.newVersion,
      ':snapshot': commit.snapshot,
      ':state': commit.state,
      ':failures': commit.consecutiveFailures,
      ':lastError': commit.lastError,
      ':lastPolledAt': commit.lastPolledAt,
    };
    const sets = [
      '#version = :version',
      '#snapshot = :snapshot',
      '#state = :state',
      '#failures = :failures',
      '#lastError = :lastError',
      '#lastPolledAt = :lastPolledAt',
    ];
    if (commit.enqueue.length > 0) names['#outbox'] = 'outbox';
    commit.enqueue.forEach((event, index) => {
      names[`#e${index}`] = event.id;
      values[`:e${index}`] = JSON.stringify(event);
      sets.push(`#outbox.#e${index} = :e${index}`);
    });
    // A watch that is gone stays in the poll index until its outbox is drained (see retire).
    return this.conditionalUpdate({ watchId, update: `SET ${sets.join(', ')}`, condition: '#version = :expected', names, values });
  }

  retire(watchId: string, expectedVersion: number): Promise<boolean> {
    return this.conditionalUpdate({
      watchId,
      update: 'REMOVE #pollShard',
      condition: '#version = :expected',
      names: { '#pollShard': TABLE_LAYOUT.pollIndex.partitionKey, '#version': 'version' },
      values: { ':expected': expectedVersion },
    });
  }

  refresh(watchId: string, expectedVersion: number, snapshot: Snapshot, polledAt: string): Promise<boolean> {
    return this.conditionalUpdate({
      watchId,
      update: 'SET #snapshot = :snapshot, #lastPolledAt = :lastPolledAt',
      condition: '#version = :expected',
      names: { '#snapshot': 'snapshot', '#lastPolledAt': 'lastPolledAt', '#version': 'version' },
      values: { ':snapshot': snapshot, ':lastPolledAt': polledAt, ':expected': expectedVersion },
    });
  }

  async clearOutbox(watchId: string, eventIds: string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const names: Record<string, string> = { '#outbox': 'outbox', '#pk': 'pk' };
    eventIds.forEach((id, index) => (names[`#e${index}`] = id));
    // Removing by event id leaves events enqueued meanwhile untouched. A watch
    // deleted in between has nothing left to clear.
    await this.conditionalUpdate({
      watchId,
      update: `REMOVE ${eventIds.map((_, index) => `#outbox.#e${index}`).join(', ')}`,
      condition: 'attribute_exists(#pk)',
      names,
      values: {},
    });
  }

  async recordHistory(events: WatchEvent[], now: Date): Promise<void> {
    const expiresAt = Math.floor(now.getTime() / 1000) + this.historyDays * DAY_SECONDS;
    const requests: WriteRequest[] = events.map((event) => ({
      PutRequest: {
        Item: marshall({
          pk: watchPk(event.data.watchId),
          // Keyed by the event's own time and id: writing it twice is harmless.
          sk: `EVENT#${event.time}#${event.id}`,
          eventId: event.id,
          type: event.type,
          event: JSON.stringify(event),
          [TABLE_LAYOUT.ttlAttribute]: expiresAt,
        }),
      },
    }));
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
      await this.batchWrite(requests.slice(start, start + BATCH_WRITE_LIMIT));
    }
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 5) throw new Error(`${pending.length} history writes still unprocessed after ${attempt} attempts`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = result.UnprocessedItems?.[this.tableName] ?? [];
    }
  }

  private async conditionalUpdate(input: {
    watchId: string;
    update: string;
    condition: string;
    names: Record<string, string>;
    values: Record<string, unknown>;
  }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: watchPk(input.watchId), sk: WATCH_SK }),
          UpdateExpression: input.update,
          ConditionExpression: input.condition,
          ExpressionAttributeNames: input.names,
          ExpressionAttributeValues: Object.keys(input.values).length > 0 ? marshall(input.values, { removeUndefinedValues: true }) : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

