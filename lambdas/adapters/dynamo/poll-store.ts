import { BatchWriteItemCommand, ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { EVENT_TYPES, type WatchEvent } from '../../domain/events';
import type { PollStore, SweepStateStore, WatchCommit } from '../../domain/ports';
import { EMPTY_SWEEP_STATE, type SweepState } from '../../domain/sweep-plan';
import type { Snapshot } from '../../domain/snapshot';
import { TABLE_LAYOUT } from './table';
import { itemToWatch, updateWatchIf, watchKey, watchPk, type Item } from './watch-item';
import type { Watch } from '../../domain/watch';

export interface PollStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Watches per Scan page. */
  pageSize?: number;
  /** Parallel Scan segments of the poll index (WATCHPOST_SCAN_SEGMENTS). @default 1 */
  scanSegments?: number;
  /** How long event history is kept. */
  historyDays?: number;
  /**
   * First wait before a history batch's unprocessed items are sent again
   * (doubling per attempt, 5 attempts). @default 50 ms
   */
  batchRetryBaseMs?: number;
  /**
   * This poller's share of the index when a tick fans out (WATCHPOST_POLL_SEGMENTS):
   * segment `index` of `of`. Its Scan segments are `of × scanSegments` parallel
   * segments of the whole index, of which it reads its own `scanSegments`, and it
   * keeps its own sweep state and resume position. @default the whole index
   */
  share?: { index: number; of: number } | undefined;
}

/** Where a cut-off tick stopped, per Scan segment: its next start key, or `done` for a segment read to its end. */
type ResumePosition = Record<string, Item | 'done'>;

interface PagePosition {
  segment: number;
  startKey: Item | undefined;
}

const DAY_SECONDS = 86_400;
const BATCH_WRITE_LIMIT = 25;

/**
 * What the poller reads and writes: the poll index, conditional commits of
 * snapshot plus outbox, and event history. Registration and the API's
 * queries live in WatchStore, so this side can change (segments, sweeps)
 * without touching them.
 */

export class DynamoPollStore implements PollStore, SweepStateStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly pageSize: number;
  private readonly historyDays: number;
  private readonly batchRetryBaseMs: number;
  private readonly segments: number;
  private readonly share: { index: number; of: number };
  private readonly sweepKey: { pk: string; sk: string };
  private readonly resumeKey: { pk: string; sk: string };
  /** Where each yielded page began, so a cut-off tick can say where to resume. */
  private readonly pagePositions = new WeakMap<Watch[], PagePosition>();
  /** Per Scan segment of the current pass: the start key after its last yielded page, or done. */
  private nextKeys = new Map<number, Item | 'done'>();
  /** Whether the current pass began from a saved position (which its end then clears). */
  private resumedPass = false;

  constructor(options: PollStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.pageSize = options.pageSize ?? 200;
    this.historyDays = options.historyDays ?? 90;
    this.batchRetryBaseMs = options.batchRetryBaseMs ?? 50;
    this.segments = Math.max(1, Math.floor(options.scanSegments ?? 1));
    this.share = options.share && options.share.of > 1 ? options.share : { index: 0, of: 1 };
    // One poller segment keeps its own state: the whole index keeps the keys it always had.
    const suffix = this.share.of > 1 ? `#${this.share.index}of${this.share.of}` : '';
    this.sweepKey = { pk: `SWEEP#state${suffix}`, sk: 'SWEEP' };
    this.resumeKey = { pk: `RESUME#poll${suffix}`, sk: 'RESUME' };
  }

  /**
   * The poll index (this poller's share of it), read as `segments` parallel
   * Scan segments, pages yielded as they arrive from any segment: reading
   * the index is then not one sequential chain of pages on the tick's
   * critical path. With `resume`, a pass starts where the last cut-off tick
   * stopped (see resumeAt): segments it had finished are left for the next
   * pass, so every watch is reached however often ticks are cut off.
   */
  async *pollablePages(options: { resume?: boolean } = {}): AsyncIterable<Watch[]> {
    const saved = options.resume ? await this.readResumePosition() : undefined;
    this.resumedPass = saved !== undefined;
    this.nextKeys = new Map();
    const segments: Array<AsyncIterator<Watch[]>> = [];
    for (let segment = 0; segment < this.segments; segment++) {
      const start = saved?.[String(segment)];
      // A segment the cut-off pass had finished waits for the next pass.
      if (start === 'done') this.nextKeys.set(segment, 'done');
      else segments.push(this.segmentPages(segment, start)[Symbol.asyncIterator]());
    }
    const next = (index: number) => segments[index]!.next().then((result) => ({ index, result }));
    const pending = new Map(segments.map((_, index) => [index, next(index)]));
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pending.set(index, next(index));
      yield result.value;
    }
  }

  private async *segmentPages(segment: number, from: Item | undefined): AsyncIterable<Watch[]> {
    const total = this.segments * this.share.of;
    let startKey: Item | undefined = from;
    do {
      const pageStart = startKey;
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          IndexName: TABLE_LAYOUT.pollIndex.name,
          Limit: this.pageSize,
          ExclusiveStartKey: startKey,
          ...(total > 1 ? { Segment: this.share.index * this.segments + segment, TotalSegments: total } : {}),
        }),
      );
      startKey = page.LastEvaluatedKey;
      const watches = (page.Items ?? []).map(itemToWatch);
      if (watches.length > 0) {
        this.pagePositions.set(watches, { segment, startKey: pageStart });
        // Recorded as the page is handed over: a page read ahead but not yet yielded is not counted as reached.
        this.nextKeys.set(segment, startKey ?? 'done');
        yield watches;
      }
    } while (startKey);
    this.nextKeys.set(segment, 'done');
  }

  /**
   * A tick was cut off at `page` (the first page not wholly started): the
   * next pass starts that page again, and every other Scan segment where it
   * had got to. One write, only when a tick is cut off.
   */
  async resumeAt(page: Watch[]): Promise<void> {
    const at = this.pagePositions.get(page);
    const position: ResumePosition = {};
    for (let segment = 0; segment < this.segments; segment++) {
      const reached = segment === at?.segment ? (at.startKey ?? undefined) : this.nextKeys.get(segment);
      if (reached !== undefined) position[String(segment)] = reached;
    }
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall({ ...this.resumeKey, position: JSON.stringify(position) }) }));
  }

  /** The pass reached the end of every segment: the next one starts from the beginning (a write only after a resumed pass). */
  async finishedPass(): Promise<void> {
    if (!this.resumedPass) return;
    this.resumedPass = false;
    await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall(this.resumeKey) }));
  }

  private async readResumePosition(): Promise<ResumePosition | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(this.resumeKey), ConsistentRead: true }));
    if (!Item) return undefined;
    return JSON.parse(String(unmarshall(Item).position)) as ResumePosition;
  }

  async readIndexedWatch(watchId: string): Promise<Watch | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: watchKey(watchId), ConsistentRead: true }),
    );
    // Only what the index holds: a watch paused, retired or deleted since has left it.
    return Item && Item[TABLE_LAYOUT.pollIndex.partitionKey] ? itemToWatch(Item) : undefined;
  }

  async readSweepState(): Promise<SweepState> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshall(this.sweepKey), ConsistentRead: true }));
    if (!Item) return EMPTY_SWEEP_STATE;
    const item = unmarshall(Item) as { datasetHighWaterMark?: string | null; lastSweepAt?: string | null; version?: number };
    return { datasetHighWaterMark: item.datasetHighWaterMark ?? null, lastSweepAt: item.lastSweepAt ?? null, version: item.version ?? 0 };
  }

  /** A put conditional on the version read, so two pollers never interleave their marks. */
  async saveSweepState(state: Omit<SweepState, 'version'>, expectedVersion: number): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ ...this.sweepKey, ...state, version: expectedVersion + 1 }, { removeUndefinedValues: true }),
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: marshall({ ':expected': expectedVersion }) }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  commit(watchId: string, expectedVersion: number, commit: WatchCommit): Promise<boolean> {
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
    // For the console's "Last change" and "failing since": kept in the same write, so they cost nothing more.
    if (commit.enqueue.some((event) => event.type === EVENT_TYPES.changed || event.type === EVENT_TYPES.gone)) {
      names['#lastChangeAt'] = 'lastChangeAt';
      values[':lastChangeAt'] = commit.lastPolledAt;
      sets.push('#lastChangeAt = :lastChangeAt');
    }
    names['#failingSince'] = 'failingSince';
    if (commit.consecutiveFailures > 0) {
      values[':failedAt'] = commit.lastError?.at ?? commit.lastPolledAt;
      sets.push('#failingSince = if_not_exists(#failingSince, :failedAt)');
    }
    const removes = commit.consecutiveFailures > 0 ? '' : ' REMOVE #failingSince';
    if (commit.enqueue.length > 0) names['#outbox'] = 'outbox';
    commit.enqueue.forEach((event, index) => {
      names[`#e${index}`] = event.id;
      values[`:e${index}`] = JSON.stringify(event);
      sets.push(`#outbox.#e${index} = :e${index}`);
    });
    // A watch that is gone stays in the poll index until its outbox is drained (see retire).
    return updateWatchIf(this.client, this.tableName, { watchId, update: `SET ${sets.join(', ')}${removes}`, condition: '#version = :expected', names, values });
  }

  retire(watchId: string, expectedVersion: number): Promise<boolean> {
    return updateWatchIf(this.client, this.tableName, {
      watchId,
      update: 'REMOVE #pollShard',
      condition: '#version = :expected',
      names: { '#pollShard': TABLE_LAYOUT.pollIndex.partitionKey, '#version': 'version' },
      values: { ':expected': expectedVersion },
    });
  }

  refresh(watchId: string, expectedVersion: number, snapshot: Snapshot, polledAt: string): Promise<boolean> {
    return updateWatchIf(this.client, this.tableName, {
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
    await updateWatchIf(this.client, this.tableName, {
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
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.batchRetryBaseMs * 2 ** attempt));
      const result = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }));
      pending = result.UnprocessedItems?.[this.tableName] ?? [];
    }
  }
}
