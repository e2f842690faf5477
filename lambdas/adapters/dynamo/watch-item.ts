import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { WatchEvent } from '../../domain/events';
import { resourceKey } from '../../domain/resource';
import { isPollable, type Watch } from '../../domain/watch';
import { teamPk } from './keys';
import { POLL_SHARDS } from './table';

export type Item = Record<string, AttributeValue>;

export const watchPk = (watchId: string) => `WATCH#${watchId}`;
export const WATCH_SK = 'WATCH';
export const watchKey = (watchId: string) => marshall({ pk: watchPk(watchId), sk: WATCH_SK });

/** A deleted watch leaves a tombstone that keeps its version (see WatchStore.deleteWatch). */
export const isTombstone = (item: Item) => item.deletedAt !== undefined;

function pollShardOf(watchId: string): string {
  let hash = 0;
  for (const char of watchId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return String(hash % POLL_SHARDS);
}

export function pollShardAttribute(watch: Pick<Watch, 'watchId' | 'paused' | 'state'>): { pollShard?: string } {
  return isPollable(watch) ? { pollShard: pollShardOf(watch.watchId) } : {};
}

export function watchToItem(watch: Watch): Item {
  const { outbox, ...rest } = watch;
  return marshall(
    {
      pk: watchPk(watch.watchId),
      sk: WATCH_SK,
      teamPk: teamPk(watch.team),
      teamSk: `WATCH#${watch.createdAt}#${watch.watchId}`,
      resourceKey: resourceKey(watch.resource),
      ...rest,
      outbox: Object.fromEntries(outbox.map((event) => [event.id, JSON.stringify(event)])),
      ...pollShardAttribute(watch),
    },
    { removeUndefinedValues: true },
  );
}

export function itemToWatch(item: Item): Watch {
  const raw = unmarshall(item);
  const outbox = Object.values((raw.outbox ?? {}) as Record<string, string>)
    .map((json) => JSON.parse(json) as WatchEvent)
    // Map attributes have no order; publish a watch's events in version order.
    .sort((a, b) => Number(a.sequence) - Number(b.sequence));
  return {
    watchId: raw.watchId,
    team: raw.team,
    label: raw.label ?? null,
    resource: raw.resource,
    notifyOn: raw.notifyOn,
    stalledAfterMinutes: typeof raw.stalledAfterMinutes === 'number' ? raw.stalledAfterMinutes : null,
    paused: Boolean(raw.paused),
    state: raw.state,
    snapshot: raw.snapshot ?? null,
    version: Number(raw.version),
    outbox,
    consecutiveFailures: Number(raw.consecutiveFailures ?? 0),
    lastError: raw.lastError ?? null,
    lastPolledAt: raw.lastPolledAt ?? null,
    ...(raw.lastChangeAt ? { lastChangeAt: raw.lastChangeAt } : {}),
    ...(raw.failingSince ? { failingSince: raw.failingSince } : {}),
    createdAt: raw.createdAt,
  };
}

/** One conditional UpdateItem on a watch item; false when the condition did not hold. */
export async function updateWatchIf(
  client: DynamoDBClient,
  tableName: string,
  input: { watchId: string; update: string; condition: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<boolean> {
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: watchKey(input.watchId),
        UpdateExpression: input.update,
        ConditionExpression: input.condition,
        ExpressionAttributeNames: input.names,
        ExpressionAttributeValues: Object.keys(input.values).length > 0 ? marshall(input.values, { removeUndefinedValues: true }) : undefined,
      }),
    );
    return true;
  } catch (error) {
    // Only a failed condition is a lost race; a throttle or a validation error is not.
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
