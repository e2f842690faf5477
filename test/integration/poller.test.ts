import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_TYPES } from '../../lambdas/domain/events';
import { TEXT_LIMITS } from '../../lambdas/domain/snapshot';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

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

describe('pollWatches against DynamoDB and the upstream simulator', () => {
  it('records the first successful poll as a silent baseline', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });

    const summary = await h.poll();

    expect(summary.baselines).toBe(1);
    expect(h.published()).toEqual([]);
    expect((await h.store.getWatch(watch.watchId))?.snapshot?.status).toBe('running');
  });

  it('publishes exactly one event with from and to for one transition', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' }, { label: 'nightly' });
    await h.poll();

    simulator.putDataset('ds_1', { status: 'succeeded' });
    await h.poll();
    await h.poll();

    const events = h.published();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      type: EVENT_TYPES.changed,
      subject: 'datasets/ds_1',
      data: { watchId: watch.watchId, team: 'team-a', label: 'nightly', changes: [{ field: 'status', from: 'running', to: 'succeeded' }] },
    });
    expect((await h.store.getWatch(watch.watchId))?.outbox).toEqual([]);
  });

  it('makes no write and sends nothing when nothing changed', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    h.dynamoCalls.length = 0;

    await h.poll();

    expect(h.published()).toEqual([]);
    expect(h.dynamoCalls.filter((op) => WRITES.includes(op))).toEqual([]);
    expect(h.dynamoCalls).toEqual(['Scan']);
  });

  it('sends nothing when only progress moved', async () => {
    simulator.putDataset('ds_1', { status: 'running', progress: { percent: 10, processed_rows: 10, total_rows: 100 } });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();

    simulator.putDataset('ds_1', { progress: { percent: 60, processed_rows: 60, total_rows: 100 } });
    await h.poll();

    expect(h.published()).toEqual([]);
    // The stored context still follows the resource, for the watch API.
    expect((await h.store.getWatch(watch.watchId))?.snapshot?.progressPercent).toBe(60);
  });

  it('sends one grade event when a grade arrives', async () => {
    simulator.putDataset('ds_1', { status: 'succeeded', evaluation_summary: null });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();

    simulator.putDataset('ds_1', {
      evaluation_summary: { grade_before: 'D', grade_after: 'B', score_before: 0.5, score_after: 0.8, improvement_percent: 60 },
    });
    await h.poll();

    const events = h.published();
    expect(events).toHaveLength(1);
    expect(events[0]?.data.changes).toEqual([{ field: 'grade', from: null, to: 'B' }]);
    expect(events[0]?.data.current?.details.evaluation).toMatchObject({ gradeBefore: 'D', scoreAfter: 0.8 });
  });

  it('publishes an event that SNS refused on the next poll, with the same id', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'failed' });
    h.failNextPublish();

    const failedTick = await h.poll();
    const pending = (await h.store.getWatch(watch.watchId))?.outbox ?? [];
    const retryTick = await h.poll();

    expect(failedTick.eventsPending).toBe(1);
    expect(pending).toHaveLength(1);
    expect(retryTick.eventsPublished).toBe(1);
    const published = h.published();
    // The mocked call that rejected is recorded too: same id both times.
    expect(published.map((e) => e.id)).toEqual([pending[0]?.id, pending[0]?.id]);
    expect((await h.store.getWatch(watch.watchId))?.outbox).toEqual([]);
  });

  it('republishes under the same id when the poll dies between publishing and clearing the outbox', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'failed' });
    vi.spyOn(h.pollStore, 'clearOutbox').mockRejectedValueOnce(new Error('connection reset'));

    await h.poll();
    await h.poll();
    await h.poll();

    const ids = h.published().map((e) => e.id);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
    expect((await h.store.getWatch(watch.watchId))?.outbox).toEqual([]);
  });

  it('publishes one event when two pollers run at once', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });

    const now = new Date('2026-11-23T12:00:00Z');
    const [first, second] = await Promise.all([pollWatches(h.deps, now), pollWatches(h.deps, now)]);

    expect(h.published()).toHaveLength(1);
    expect(first.conflicts + second.conflicts).toBe(1);
  });

  describe.each([
    ['a 500', { status: 500 }, 'unavailable'],
    ['a timeout', { delayMs: 1_000 }, 'unavailable'],
    ['a dropped connection', { drop: true }, 'unavailable'],
    ['a malformed body', { body: 'malformed' as const }, 'malformed'],
    ['a wrong-typed status', { body: 'wrong-type' as const }, 'malformed'],
  ])('when one upstream answers with %s', (_name, fault, kind) => {
    it('sends no event for it, records its error, and still serves the other watches', async () => {
      simulator.putDataset('ds_bad', { status: 'running' });
      simulator.putDataset('ds_ok', { status: 'running' });
      const bad = await h.watch({ type: 'dataset', datasetId: 'ds_bad' });
      await h.watch({ type: 'dataset', datasetId: 'ds_ok' });
      await h.poll();
      simulator.putDataset('ds_bad', { status: 'succeeded' });
      simulator.putDataset('ds_ok', { status: 'succeeded' });
      simulator.addFault({ path: '/api/v1/datasets/ds_bad', ...fault });

      const summary = await h.poll();

      expect(summary.failed).toBe(1);
      expect(h.published().map((e) => e.subject)).toEqual(['datasets/ds_ok']);
      const stored = await h.store.getWatch(bad.watchId);
      expect(stored?.lastError?.kind).toBe(kind);
      expect(stored?.lastError?.message).toContain('datasets/ds_bad');
      expect(stored?.snapshot?.status).toBe('running');
    });
  });

  it('logs a malformed response with the resource it came from', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    simulator.addFault({ path: '/api/v1/datasets/ds_1', body: 'wrong-type' });

    await h.poll();

    const errors = h.logger.at('error').filter((e) => e.message === 'malformed upstream response');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extra).toMatchObject({ resource: 'datasets/ds_1' });
    expect(String(errors[0]?.extra.detail)).toContain('status');
  });

  it('sends one gone event when the resource disappears, then stops polling it', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.datasets.delete('ds_1');

    await h.poll();
    await h.poll(); // leaves the poll index once nothing is owed
    const later = await h.poll();

    const events = h.published();
    expect(events.map((e) => e.type)).toEqual([EVENT_TYPES.gone]);
    expect(events[0]?.data.previous?.status).toBe('running');
    expect(later.watches).toBe(0);
    expect((await h.store.getWatch(watch.watchId))?.state).toBe('gone');
  });

  it('still publishes a gone event whose first publish failed, without fetching again', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.datasets.delete('ds_1');
    h.failNextPublish();

    await h.poll();
    simulator.resetStats();
    await h.poll();

    const types = h.published().map((e) => e.type);
    expect(types).toEqual([EVENT_TYPES.gone, EVENT_TYPES.gone]);
    expect(new Set(h.published().map((e) => e.id)).size).toBe(1);
    expect(simulator.getStats().upstreamRequests).toBe(0);
  });

  it('publishes what a watch owed when it was paused, then stops polling it', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    h.failNextPublish();
    await h.poll();

    await h.store.updateSettings('team-a', watch.watchId, { paused: true });
    await h.poll();
    await h.poll();
    const later = await h.poll();

    expect(h.published().map((e) => e.data.changes[0]?.to)).toEqual(['succeeded', 'succeeded']);
    expect(later.watches).toBe(0);
  });

  it('passes an unknown status through as an event and logs a warning', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'archived' });

    await h.poll();

    expect(h.published()[0]?.data.changes).toEqual([{ field: 'status', from: 'running', to: 'archived' }]);
    expect(h.logger.at('warn').map((w) => w.extra.warning)).toContain('unknown dataset status "archived"');
  });

  it('sends one failing event after the threshold and one recovered event after', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 503 });

    for (let tick = 0; tick < 4; tick++) await h.poll();
    simulator.clearFaults();
    await h.poll();

    expect(h.published().map((e) => e.type)).toEqual([EVENT_TYPES.failing, EVENT_TYPES.recovered]);
    expect(h.published()[0]?.data.failure).toMatchObject({ kind: 'unavailable', consecutiveFailures: 3 });
    const stored = await h.store.getWatch(watch.watchId);
    expect(stored).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect(stored?.failingSince).toBeUndefined();
  });

  it('keeps since when polls have failed, from the first failure of the run, and when the resource last changed', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    const baseline = await h.store.getWatch(watch.watchId);
    simulator.addFault({ path: '/api/v1/datasets/ds_1', status: 503 });
    await h.poll();
    const first = await h.store.getWatch(watch.watchId);
    await h.poll();
    const second = await h.store.getWatch(watch.watchId);
    simulator.clearFaults();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    await h.poll();
    const changed = await h.store.getWatch(watch.watchId);

    expect([baseline?.failingSince, baseline?.lastChangeAt]).toEqual([undefined, undefined]);
    expect(first?.failingSince).toBe(first?.lastError?.at);
    expect(second?.failingSince).toBe(first?.lastError?.at);
    expect(changed?.failingSince).toBeUndefined();
    expect(changed?.lastChangeAt).toBe(changed?.lastPolledAt);
  });

  it('follows a correction session through its lifecycle after logging in', async () => {
    simulator.putCorrection(7, 42);
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 42 });
    await h.poll();

    simulator.advance('projects/7/corrections/42');
    await h.poll();
    simulator.advance('projects/7/corrections/42');
    await h.poll();

    expect(h.published().map((e) => e.data.changes[0])).toEqual([
      { field: 'status', from: 'CREATED', to: 'SAMPLING' },
      { field: 'status', from: 'SAMPLING', to: 'PREDICTING' },
    ]);
    expect(h.published()[0]?.subject).toBe('projects/7/corrections/42');
    expect(simulator.getStats().logins).toBe(1);
  });

  it('gives a later transition that looks the same as an earlier one a new event id', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'running', run_id: 'run_2' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    await h.poll();

    const events = h.published();
    expect(events).toHaveLength(3);
    expect(events[0]?.data.changes).toEqual(events[2]?.data.changes);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });
});

describe('what a poll stores is bounded, and a failed write is a failed poll', () => {
  it('still publishes a real transition when the upstream sends a 450 KB name, cut to its documented length', async () => {
    simulator.putDataset('ds_big', { status: 'pending', name: 'n'.repeat(450 * 1024), error: { message: 'e'.repeat(100_000) } });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_big' });
    await h.poll();
    simulator.putDataset('ds_big', { status: 'failed' });

    await h.poll();

    expect(h.published().map((e) => e.data.changes)).toEqual([[{ field: 'status', from: 'pending', to: 'failed' }]]);
    const stored = await h.store.getWatch(watch.watchId);
    expect(stored?.snapshot?.status).toBe('failed');
    expect(stored?.snapshot?.details.name).toHaveLength(TEXT_LIMITS.detail);
    expect(stored?.snapshot?.details.errorMessage).toHaveLength(TEXT_LIMITS.detail);
    expect(stored?.consecutiveFailures).toBe(0);
  });

  it('records a too_large body as a failure that counts toward watch.failing', async () => {
    simulator.putDataset('ds_huge', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_huge' });
    await h.poll();
    simulator.addFault({ path: '/api/v1/datasets/ds_huge', bodyBytes: 3 * 1024 * 1024 });

    for (let tick = 0; tick < 3; tick++) await h.poll();

    expect(h.published().map((e) => [e.type, e.data.failure?.kind])).toEqual([[EVENT_TYPES.failing, 'too_large']]);
    expect((await h.store.getWatch(watch.watchId))?.lastError?.kind).toBe('too_large');
  });

  it('records a rejected commit on the watch as a store failure, and publishes the change once the store takes it', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    // Every commit that would clear the error (the change itself) is throttled; recording the failure is not.
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
    h.failDynamo((command, input) => {
      const values = input.ExpressionAttributeValues as Record<string, { NULL?: boolean }> | undefined;
      return command === 'UpdateItem' && values?.[':lastError']?.NULL ? throttled : undefined;
    });

    const failedTick = await h.poll();
    const afterFailure = await h.store.getWatch(watch.watchId);
    h.failDynamo(undefined);
    await h.poll();

    expect(failedTick).toMatchObject({ failed: 1, failuresByKind: { store: 1 } });
    expect(afterFailure).toMatchObject({ consecutiveFailures: 1, lastError: { kind: 'store' }, snapshot: { status: 'running' } });
    expect(h.published().map((e) => e.data.changes)).toEqual([[{ field: 'status', from: 'running', to: 'succeeded' }]]);
  });

  it('sends watch.failing when the store keeps rejecting a watch’s commits', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    const tooBig = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    h.failDynamo((command, input) => {
      const values = input.ExpressionAttributeValues as Record<string, { NULL?: boolean }> | undefined;
      return command === 'UpdateItem' && values?.[':lastError']?.NULL ? tooBig : undefined;
    });

    for (let tick = 0; tick < 3; tick++) await h.poll();

    expect(h.published().map((e) => [e.type, e.data.failure?.kind])).toEqual([[EVENT_TYPES.failing, 'store']]);
  });
});

describe('one slow upstream never delays the others', () => {
  it('publishes the other watches’ changes at once and ends the tick at its deadline', async () => {
    const slow = await pollerHarness(dynamo, simulator, { timeoutMs: 10_000 });
    for (const id of ['ds_a', 'ds_b', 'ds_c', 'ds_hang']) {
      simulator.putDataset(id, { status: 'running' });
      await slow.watch({ type: 'dataset', datasetId: id });
    }
    await slow.poll();
    for (const id of ['ds_a', 'ds_b', 'ds_c', 'ds_hang']) simulator.putDataset(id, { status: 'succeeded' });
    simulator.addFault({ path: '/api/v1/datasets/ds_hang', delayMs: 20_000 });
    const publishedAt: number[] = [];
    const publish = slow.deps.publisher.publish.bind(slow.deps.publisher);
    slow.deps.publisher.publish = async (events) => {
      publishedAt.push(...events.map(() => Date.now()));
      return publish(events);
    };
    const started = Date.now();

    const summary = await pollWatches(slow.deps, new Date('2026-11-23T12:00:00Z'), { signal: AbortSignal.timeout(1_000) });
    const tickMs = Date.now() - started;

    expect(summary).toMatchObject({ changed: 3, failed: 1, failuresByKind: { unavailable: 1 } });
    expect(publishedAt).toHaveLength(3);
    expect(Math.max(...publishedAt) - started).toBeLessThan(500);
    expect(tickMs).toBeGreaterThanOrEqual(950);
    expect(tickMs).toBeLessThan(2_000);
    slow.dispose();
  });

  it('starts no further watch once the deadline has passed, and says it was cut off', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    const expired = AbortSignal.abort();
    simulator.resetStats();

    const summary = await pollWatches(h.deps, new Date('2026-11-23T12:00:00Z'), { signal: expired });

    expect(summary).toMatchObject({ watches: 0, cutOff: true });
    expect(simulator.getStats().upstreamRequests).toBe(0);
  });
});
