import { createRequire } from 'node:module';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { pollShardAttribute } from '../../lambdas/adapters/dynamo/watch-item';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import type { ResourceRef } from '../../lambdas/domain/resource';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { WatchpostStack } from '../../lib/watchpost-stack';
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

  it('resumes a cut-off tick where it stopped, so watches past the cut are reached next tick, then starts a fresh pass', async () => {
    const h = await pollerHarness(dynamo, simulator, { pageSize: 2, scanSegments: 2 });
    const all: string[] = [];
    for (let i = 0; i < 9; i++) {
      simulator.putDataset(`ds_resume_${i}`, { status: 'running' });
      all.push(`ds_resume_${i}`);
      await h.watch({ type: 'dataset', datasetId: `ds_resume_${i}` });
    }
    let fetched: string[] = [];
    let cutAfter = Infinity;
    const deadline = { controller: new AbortController() };
    // One watch at a time, and the deadline passes right after the third answer: a cut at a known place.
    const deps = {
      ...h.deps,
      policy: { ...h.deps.policy, concurrency: 1 },
      fetcher: {
        fetchState: async (resource: ResourceRef, options?: { signal?: AbortSignal | undefined }) => {
          const outcome = await h.deps.fetcher.fetchState(resource, options);
          fetched.push(resource.type === 'dataset' ? resource.datasetId : '');
          if (fetched.length >= cutAfter) deadline.controller.abort();
          return outcome;
        },
      },
    };
    const tick = async (cut: number) => {
      fetched = [];
      cutAfter = cut;
      deadline.controller = new AbortController();
      const summary = await pollWatches(deps, new Date('2026-11-23T10:00:00Z'), { signal: deadline.controller.signal, resume: true });
      return { summary, fetched: [...fetched] };
    };

    const first = await tick(3);
    const second = await tick(Infinity);
    const writesBefore = h.dynamoCalls.filter((c) => c === 'PutItem' || c === 'DeleteItem').length;
    const third = await tick(Infinity);

    expect(first.summary.cutOff).toBe(true);
    // The watch waiting for the pool's one slot when the deadline passed still starts: three or four.
    expect(first.fetched.length).toBeGreaterThanOrEqual(3);
    expect(first.fetched.length).toBeLessThanOrEqual(4);
    // The second tick starts where the first stopped: together they reach every watch, and it skips what was finished.
    expect(new Set([...first.fetched, ...second.fetched])).toEqual(new Set(all));
    expect(second.fetched.length).toBeLessThan(all.length);
    expect(second.summary.cutOff).toBe(false);
    // Then a fresh pass from the beginning, with nothing left to resume (and no resume write).
    expect(third.fetched.sort()).toEqual([...all].sort());
    expect(h.dynamoCalls.filter((c) => c === 'PutItem' || c === 'DeleteItem').length).toBe(writesBefore);
    // Saving and clearing the position are calls the deployed poller (and each segment worker) is granted.
    const template = Template.fromStack(new WatchpostStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Watchpost', { config: { pollSegments: 2 }, env: { account: '123456789012', region: 'eu-west-1' } }));
    for (const role of ['PollerFunctionServiceRole', 'PollerSegmentWorkerFunctionServiceRole']) {
      const granted = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify((policy as { Properties: { Roles: unknown } }).Properties.Roles).includes(role))
        .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement)
        .flatMap((statement) => [statement.Action].flat());
      expect([...new Set(h.dynamoCalls)].map((op) => `dynamodb:${op}`).filter((action) => !granted.includes(action)), role).toEqual([]);
    }
    expect(h.dynamoCalls).toEqual(expect.arrayContaining(['PutItem', 'DeleteItem', 'GetItem']));
    h.dispose();
  });

  it('splits the index between poller segments: each reads its own Scan segments, together every watch once', async () => {
    const base = await pollerHarness(dynamo, simulator, { pageSize: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      simulator.putDataset(`ds_share_${i}`, { status: 'running' });
      ids.push((await base.watch({ type: 'dataset', datasetId: `ds_share_${i}` })).watchId);
    }
    const seen: string[][] = [];
    for (let index = 0; index < 3; index++) {
      const store = new DynamoPollStore({ client: dynamo.client, tableName: base.tableName, pageSize: 3, scanSegments: 2, share: { index, of: 3 } });
      const mine: string[] = [];
      for await (const page of store.pollablePages()) mine.push(...page.map((w) => w.watchId));
      seen.push(mine);
    }

    expect(seen.flat().sort()).toEqual([...ids].sort());
    expect(seen.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    base.dispose();
  });
});
