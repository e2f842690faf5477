import { describe, expect, it } from 'vitest';
import { itemToWatch, pollShardAttribute, watchToItem } from '../../lambdas/adapters/dynamo/watch-item';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { createWatch } from '../../lambdas/domain/watch';

/** How a watch is laid out as a DynamoDB item and read back. */
const watch = createWatch({ watchId: 'w_1', team: 'team-a', resource: { type: 'dataset', datasetId: 'ds_1' } }, new Date('2026-11-24T10:00:00Z'));
const owed = (version: number) => buildWatchEvent({ watch, version, time: new Date('2026-11-24T10:00:00Z'), type: EVENT_TYPES.gone, previous: null, current: null });

describe('the watch item', () => {
  it('reads back the watch it was written from, its outbox in version order', () => {
    const written = { ...watch, outbox: [owed(12), owed(3), owed(7)] };

    const read = itemToWatch(watchToItem(written));

    expect(read.outbox.map((e) => e.sequence)).toEqual(['3', '7', '12']);
    expect(read).toEqual({ ...written, outbox: [owed(3), owed(7), owed(12)] });
  });

  it('leaves out fields that are undefined instead of failing to write them', () => {
    expect(() => watchToItem({ ...watch, lastPolledAt: undefined } as never)).not.toThrow();
  });

  it('puts an active watch in a poll shard fixed by its id, and a paused one in none', () => {
    // Fixed vectors: the shard is a hash of the id over 8 shards.
    expect(['w_1', 'w_2', 'w_zz'].map((watchId) => pollShardAttribute({ watchId, paused: false, state: 'active' }).pollShard)).toEqual(['1', '2', '0']);
    expect(pollShardAttribute({ watchId: 'w_1', paused: true, state: 'active' })).toEqual({});
  });
});
