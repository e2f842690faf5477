import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';
import { summaryWith as summary } from '../support/summary';

/**
 * What a tick reports: the summary the handler turns into metrics and
 * alarms, and the log lines an operator reads when something went wrong.
 * Each tick's summary is pinned whole, so a miscounted field shows.
 */
let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;
let h: PollerHarness;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(async () => {
  simulator.datasets.clear();
  simulator.corrections.clear();
  simulator.clearFaults();
  h = await pollerHarness(dynamo, simulator, { timeoutMs: 300 });
});
afterEach(() => h.dispose());

describe('a tick’s summary', () => {
  it('counts baselines, changes, gone, failures and unchanged watches tick by tick', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    simulator.putDataset('ds_b', { status: 'running' });
    simulator.putDataset('ds_c', { status: 'running' });
    simulator.putCorrection(7, 1, { status: 'SAMPLING' });
    for (const datasetId of ['ds_a', 'ds_b', 'ds_c']) await h.watch({ type: 'dataset', datasetId });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 1 });

    const first = await h.poll();
    simulator.putDataset('ds_a', { status: 'succeeded' });
    simulator.datasets.delete('ds_b');
    simulator.addFault({ path: '/api/v1/datasets/ds_c', status: 500 });
    const second = await h.poll();
    const third = await h.poll();
    const fourth = await h.poll();

    expect(first).toEqual(summary({ watches: 4, baselines: 4, requests: { get: 4 } }));
    expect(second).toEqual(summary({ watches: 4, changed: 1, gone: 1, failed: 1, unchanged: 1, eventsPublished: 2, failuresByKind: { unavailable: 1 }, requests: { get: 4 } }));
    // The gone watch, its outbox drained, leaves the index unfetched; ds_c fails again.
    expect(third).toEqual(summary({ watches: 4, failed: 1, unchanged: 3, failuresByKind: { unavailable: 1 }, requests: { get: 3 } }));
    // ds_c's third failure in a row reaches the harness's threshold (3): its failing event goes out.
    expect(fourth).toEqual(summary({ watches: 3, failed: 1, unchanged: 2, eventsPublished: 1, failuresByKind: { unavailable: 1 }, requests: { get: 3 } }));
    expect(h.published().map((e) => [e.type, e.data.watchId]).sort((a, b) => a[1]!.localeCompare(b[1]!))).toEqual([
      ['io.watchpost.resource.changed', 'w_1'],
      ['io.watchpost.resource.gone', 'w_2'],
      ['io.watchpost.watch.failing', 'w_3'],
    ]);
    expect(h.logger.at('warn').filter((l) => l.message === 'fetch failed').map((l) => l.extra)).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ watchId: 'w_3', kind: 'unavailable' })),
    );
  });

  it('counts a failing event once the failures reach the threshold, and the failures by kind', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_a' });
    await h.poll();
    simulator.addFault({ path: '/api/v1/datasets/ds_a', status: 403 });

    const ticks = [await h.poll(), await h.poll(), await h.poll()];

    expect(ticks.map((t) => [t.failed, t.eventsPublished, t.failuresByKind])).toEqual([
      [1, 0, { credentials: 1 }],
      [1, 0, { credentials: 1 }],
      [1, 1, { credentials: 1 }],
    ]);
    expect((await h.store.getWatch(watch.watchId))?.consecutiveFailures).toBe(3);
  });

  it('counts events SNS refused as pending, names them, and publishes them next tick', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_a' });
    await h.poll();
    simulator.putDataset('ds_a', { status: 'succeeded' });
    h.failNextPublish(1);

    const refused = await h.poll();
    const retried = await h.poll();

    expect(refused).toMatchObject({ changed: 1, eventsPublished: 0, eventsPending: 1 });
    const logged = h.logger.at('error');
    expect(logged.map((l) => l.message)).toEqual(['some events were not published; they stay in the outbox']);
    expect(logged[0]?.extra.eventIds).toEqual([h.published()[0]?.id]);
    expect(retried).toMatchObject({ changed: 0, unchanged: 1, eventsPublished: 1, eventsPending: 0 });
  });

  it('counts the whole batch as pending when the publisher itself fails, and says so', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_a' });
    await h.poll();
    simulator.putDataset('ds_a', { status: 'succeeded' });
    const publisher = h.deps.publisher;
    h.deps.publisher = { publish: () => Promise.reject(new Error('no route to SNS')) } as unknown as typeof publisher;

    const failed = await h.poll();

    expect(failed).toMatchObject({ changed: 1, eventsPublished: 0, eventsPending: 1 });
    expect(h.logger.at('error').map((l) => [l.message, l.extra])).toEqual([['publish failed; events stay in the outbox', { count: 1, error: 'no route to SNS' }]]);
    expect((await h.store.getWatch(watch.watchId))?.outbox).toHaveLength(1);
  });

  it('keeps events in the outbox when their history cannot be written, and publishes them once', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_a' });
    await h.poll();
    simulator.putDataset('ds_a', { status: 'succeeded' });
    h.failDynamo((command) => (command === 'BatchWriteItem' ? Object.assign(new Error('throttled'), { name: 'ThrottlingException' }) : undefined));

    await h.poll();
    const outbox = (await h.store.getWatch(watch.watchId))?.outbox ?? [];
    h.failDynamo(undefined);
    await h.poll();

    expect(h.logger.at('error').map((l) => l.message)).toContain('could not record event history; events stay in the outbox');
    expect(outbox).toHaveLength(1);
    expect((await h.store.getWatch(watch.watchId))?.outbox).toEqual([]);
    expect(new Set(h.published().map((e) => e.id))).toEqual(new Set([outbox[0]?.id]));
  });

  it('records a fetcher that throws as an internal failure of that watch alone', async () => {
    simulator.putDataset('ds_a', { status: 'running' });
    simulator.putDataset('ds_b', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_a' });
    const broken = await h.watch({ type: 'dataset', datasetId: 'ds_b' });
    const fetcher = h.deps.fetcher;
    h.deps.fetcher = {
      fetchState: (resource, options) => (resource.type === 'dataset' && resource.datasetId === 'ds_b' ? Promise.reject(new Error('bug in a client')) : fetcher.fetchState(resource, options)),
    } as typeof fetcher;

    const tick = await h.poll();

    expect(tick).toMatchObject({ watches: 2, baselines: 1, failed: 1, failuresByKind: { internal: 1 } });
    expect((await h.store.getWatch(broken.watchId))?.lastError).toMatchObject({ kind: 'internal', message: 'bug in a client' });
  });
});
