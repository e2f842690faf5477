import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollShardAttribute } from '../../lambdas/adapters/dynamo/watch-item';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness } from '../support/poller-harness';

// dynalite's own index-key hash, to prove the chosen ids really collide there.
const { hashPrefix } = createRequire(import.meta.url)('dynalite/db/index.js') as { hashPrefix: (...pieces: string[]) => string };

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});

describe('the poll index', () => {
  it('polls two watches whose keys collide in the embedded server’s index hash', async () => {
    // Found by search: same poll shard, and the same 24-bit dynalite hash of the table key.
    const ids = ['w_collide_14758', 'w_collide_16345'];
    const shard = (watchId: string) => pollShardAttribute({ watchId, paused: false, state: 'active' }).pollShard;
    expect(shard(ids[0]!)).toBe(shard(ids[1]!));
    expect(hashPrefix(`WATCH#${ids[0]}`, 'S', 'WATCH', 'S')).toBe(hashPrefix(`WATCH#${ids[1]}`, 'S', 'WATCH', 'S'));
    const h = await pollerHarness(dynamo, simulator);
    simulator.putDataset('ds_c1', { status: 'running' });
    simulator.putDataset('ds_c2', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_c1' }, { watchId: ids[0]! });
    await h.watch({ type: 'dataset', datasetId: 'ds_c2' }, { watchId: ids[1]! });

    const summary = await h.poll();

    expect(summary.watches).toBe(2);
    expect(summary.baselines).toBe(2);
    h.dispose();
  });

  it('reads the index as parallel Scan segments, each paged, and polls every watch exactly once', async () => {
    const h = await pollerHarness(dynamo, simulator, { pageSize: 2, scanSegments: 3 });
    for (let i = 0; i < 11; i++) {
      simulator.putDataset(`ds_seg_${i}`, { status: 'running' });
      await h.watch({ type: 'dataset', datasetId: `ds_seg_${i}` });
    }
    const segmentsAsked: number[] = [];
    h.failDynamo((command, input) => {
      if (command === 'Scan') segmentsAsked.push(Number(input.Segment));
      return undefined;
    });

    const summary = await h.poll();

    expect([summary.watches, summary.baselines]).toEqual([11, 11]);
    expect([...new Set(segmentsAsked)].sort()).toEqual([0, 1, 2]);
    expect(segmentsAsked.length).toBeGreaterThan(3);
    h.dispose();
  });

  it('polls every watch when the index takes several Scan pages', async () => {
    const h = await pollerHarness(dynamo, simulator, { pageSize: 2 });
    for (let i = 0; i < 7; i++) {
      simulator.putDataset(`ds_page_${i}`, { status: 'running' });
      await h.watch({ type: 'dataset', datasetId: `ds_page_${i}` });
    }

    const summary = await h.poll();

    expect(summary.watches).toBe(7);
    expect(h.dynamoCalls.filter((call) => call === 'Scan').length).toBeGreaterThanOrEqual(4);
    h.dispose();
  });
});
