import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { WatchEvent } from '../../domain/events';
import type { ResourceRef, TrackedField } from '../../domain/resource';
import { watchIdFor, type Watch } from '../../domain/watch';
import { decodeCursor, encodeCursor, type Page } from './cursor';
import { TABLE_LAYOUT } from './table';
import { teamPk } from './keys';
import { isTombstone, itemToWatch, pollShardAttribute, updateWatchIf, WATCH_SK, watchKey, watchPk, watchToItem, type Item } from './watch-item';

export interface WatchStoreOptions {
  client: DynamoDBClient;
  tableName: string;
}

export interface WatchSettings {
  notifyOn?: TrackedField[] | undefined;
  label?: string | null | undefined;
  paused?: boolean | undefined;
  stalledAfterMinutes?: number | null | undefined;
}

/**
 * Watches as teams manage them through the API: registration (one watch per
 * team and resource), settings, deletion, the team's list and a watch's
 * history. What the poller does to a watch lives in DynamoPollStore.
 */
export class WatchStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: WatchStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /** Writes a watch as it is, unless its id exists (seeding, tests and benchmarks). */
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
    const item = await this.getItem(watchId);
    return item && !isTombstone(item) ? itemToWatch(item) : undefined;
  }

  /** The team's watch on a resource, if it has one. */
  async findByResource(team: string, resource: ResourceRef): Promise<Watch | undefined> {
    const watch = await this.getWatch(watchIdFor(team, resource));
    return watch?.team === team ? watch : undefined;
  }

  /**
   * Registers a watch unless the team already watches that resource; returns
   * the watch that now stands for it. The watch's id is derived from (team,
   * resource), so the conditional put is the whole guarantee: of any number
   * of concurrent registrations exactly one creates the item. Over a
   * tombstone the new watch continues the old version, so its events never
   * reuse an id the deleted watch sent.
   */
  async registerWatch(watch: Watch): Promise<{ watch: Watch; created: boolean }> {
    if (watch.watchId !== watchIdFor(watch.team, watch.resource)) throw new Error('a registered watch must carry the id watchIdFor(team, resource) gives');
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.getItem(watch.watchId);
      if (existing && !isTombstone(existing)) return { watch: itemToWatch(existing), created: false };
      const fresh: Watch = existing ? { ...watch, version: Number(unmarshall(existing).version) } : watch;
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: watchToItem(fresh),
            ConditionExpression: existing ? '#version = :version AND attribute_exists(#deletedAt)' : 'attribute_not_exists(pk)',
            ExpressionAttributeNames: existing ? { '#version': 'version', '#deletedAt': 'deletedAt' } : undefined,
            ExpressionAttributeValues: existing ? marshall({ ':version': fresh.version }) : undefined,
          }),
        );
        return { watch: fresh, created: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // A concurrent registration (or deletion) got there first: read what stands now.
      }
    }
    throw new Error(`could not register watch ${watch.watchId}: it kept changing under us`);
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
          startsWith: { pk: 'WATCH#', sk: WATCH_SK, [teamIndex.sortKey]: 'WATCH#' },
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
    if (settings.stalledAfterMinutes === null) next.stalledAfterMinutes = null;
    const names: Record<string, string> = {
      '#team': 'team',
      '#version': 'version',
      '#notifyOn': 'notifyOn',
      '#label': 'label',
      '#paused': 'paused',
      '#stalledAfterMinutes': 'stalledAfterMinutes',
    };
    const values: Record<string, unknown> = {
      ':team': team,
      ':version': watch.version,
      ':notifyOn': next.notifyOn,
      ':label': next.label,
      ':paused': next.paused,
      ':stalledAfterMinutes': next.stalledAfterMinutes,
    };
    const shard = pollShardAttribute(next).pollShard;
    let update = 'SET #notifyOn = :notifyOn, #label = :label, #paused = :paused, #stalledAfterMinutes = :stalledAfterMinutes';
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
    if (!(await updateWatchIf(this.client, this.tableName, { watchId, update, condition, names, values }))) {
      // The poller moved the watch on meanwhile (or it was deleted): decide again on what is there now.
      return this.updateSettings(team, watchId, settings);
    }
    return next;
  }

  /**
   * Deletes the team's watch: the item becomes a tombstone that keeps (and
   * bumps) the version, leaves both indexes and forgets the settings and
   * snapshot. The bump makes a poll that read the watch before lose its
   * conditional write. False when the team has no such watch.
   */
  deleteWatch(team: string, watchId: string, now: Date): Promise<boolean> {
    return updateWatchIf(this.client, this.tableName, {
      watchId,
      update:
        'SET #deletedAt = :now, #version = #version + :one ' +
        'REMOVE #pollShard, #teamPk, #teamSk, #outbox, #snapshot, #label, #notifyOn, #lastError, #paused, #state',
      condition: '#team = :team AND attribute_exists(#version) AND attribute_not_exists(#deletedAt)',
      names: {
        '#deletedAt': 'deletedAt',
        '#version': 'version',
        '#team': 'team',
        '#pollShard': TABLE_LAYOUT.pollIndex.partitionKey,
        '#teamPk': TABLE_LAYOUT.teamIndex.partitionKey,
        '#teamSk': TABLE_LAYOUT.teamIndex.sortKey,
        '#outbox': 'outbox',
        '#snapshot': 'snapshot',
        '#label': 'label',
        '#notifyOn': 'notifyOn',
        '#lastError': 'lastError',
        '#paused': 'paused',
        '#state': 'state',
      },
      values: { ':now': now.toISOString(), ':one': 1, ':team': team },
    });
    // History items expire through TTL; nothing can reach them while the watch is deleted.
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
        ExclusiveStartKey: decodeCursor(cursor, { attribute: 'pk', value: watchPk(watchId), keys: ['pk', 'sk'], startsWith: { sk: 'EVENT#' } }),
      }),
    );
    return {
      items: (result.Items ?? []).map((item) => JSON.parse(unmarshall(item).event as string) as WatchEvent),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  private async getItem(watchId: string): Promise<Item | undefined> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: watchKey(watchId), ConsistentRead: true }));
    return result.Item;
  }
}
