import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WatchpostStack } from '../../lib/watchpost-stack';
import { EVENT_TYPES, eventIdFor, type WatchEvent } from '../../lambdas/domain/events';
import { pollWatches } from '../../lambdas/domain/poll-watches';
import { mergeSummaries, sweepInvocation } from '../../lambdas/domain/sweep-loop';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness, type PollerHarness } from '../support/poller-harness';

const WATCH_WRITES = ['UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
/** The id the rule gives this event's transition at `version` of `watchId`: pins both the watch and the version it was numbered with. */
const idAt = (watchId: string, version: number, event: WatchEvent) => eventIdFor(watchId, version, { type: event.type, ...event.data });

const SWEEPS = { fullRefreshSeconds: 3600, overlapSeconds: 120 };

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
  h = await pollerHarness(dynamo, simulator, { timeoutMs: 300, sweeps: SWEEPS });
});
afterEach(() => h.dispose());

/** Upstream requests by endpoint during `action`. */
async function requestsDuring<T>(action: () => Promise<T>): Promise<{ result: T; requests: Record<string, number> }> {
  simulator.resetStats();
  const result = await action();
  const { login: _login, ...requests } = simulator.getStats().byEndpoint;
  return { result, requests };
}

describe('sweeps: datasets', () => {
  it('fetches every dataset once at the first sweep, then only the one the list shows moved', async () => {
    for (const id of ['ds_1', 'ds_2', 'ds_3']) simulator.putDataset(id, { status: 'running' });
    const watches = await Promise.all(['ds_1', 'ds_2', 'ds_3'].map((datasetId) => h.watch({ type: 'dataset', datasetId })));

    const first = await requestsDuring(() => h.poll());
    const quiet = await requestsDuring(() => h.poll());
    simulator.putDataset('ds_2', { status: 'succeeded' });
    const changed = await requestsDuring(() => h.poll());

    expect(first.requests).toEqual({ datasetList: 1, dataset: 3 });
    expect(quiet.requests).toEqual({ datasetList: 1 });
    // Succeeded with no evaluation summary yet: the evaluation endpoint says whether a grade is coming.
    expect(changed.requests).toEqual({ datasetList: 1, dataset: 1, datasetEvaluation: 1 });
    const events = h.published();
    expect(events).toHaveLength(1);
    // The same id rule as one GET per watch: the watch and the version the transition takes.
    expect(events[0]).toMatchObject({ id: idAt(watches[1]!.watchId, 2, events[0]!), type: EVENT_TYPES.changed, subject: 'datasets/ds_2' });
    expect(events[0]?.data.changes).toEqual([{ field: 'status', from: 'running', to: 'succeeded' }]);
  });

  it('writes no watch when nothing changed: one Scan, the sweep state, nothing else', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    h.dynamoCalls.length = 0;

    await h.poll();

    expect(h.dynamoCalls.filter((op) => WATCH_WRITES.includes(op))).toEqual([]);
    expect(h.dynamoCalls).toEqual(['Scan', 'GetItem', 'PutItem']);
  });

  it('still fetches each dataset by itself once per full-refresh period: a grade the list cannot show arrives', async () => {
    const seen = simulator.putDataset('ds_1', { status: 'succeeded', evaluation_summary: null });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    // The grade appears without updated_at moving: nothing in the list says so.
    simulator.putDataset('ds_1', {
      updated_at: seen.updated_at,
      evaluation_summary: { grade_before: 'C', grade_after: 'A', score_before: 0.6, score_after: 0.9, improvement_percent: 50 },
    });

    const beforeRefresh = await requestsDuring(() => h.poll());
    for (let minute = 0; minute < 60 && h.published().length === 0; minute++) await h.poll();

    expect(beforeRefresh.requests).toEqual({ datasetList: 1 });
    expect(h.published().map((e) => e.data.changes)).toEqual([[{ field: 'grade', from: null, to: 'A' }]]);
  });

  it('falls back to single GETs when the list answers 500, says so once, and loses no change', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    simulator.putDataset('ds_2', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.watch({ type: 'dataset', datasetId: 'ds_2' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'failed' });
    simulator.addFault({ path: '/api/v1/datasets', exact: true, status: 500 });

    const { result: summary, requests } = await requestsDuring(() => h.poll());

    expect(summary.listFallbacks).toBe(1);
    expect(requests.dataset).toBe(2);
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`)).toEqual(['datasets/ds_1 failed']);
    expect(h.logger.at('warn').filter((entry) => entry.message.startsWith('list requests failed'))).toHaveLength(1);
  });

  it('falls back to single GETs when the list answers in a shape it does not document', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    simulator.addFault({ path: '/api/v1/datasets', exact: true, body: 'malformed' });

    const summary = await h.poll();

    expect(summary.listFallbacks).toBe(1);
    expect(h.published().map((e) => e.data.changes[0]?.to)).toEqual(['succeeded']);
  });

  it('keeps the high-water mark below a change it could not record: after a crash mid-sweep the next sweep finds it, once', async () => {
    // No overlap, so only the mark itself decides what the next sweep lists.
    h.dispose();
    h = await pollerHarness(dynamo, simulator, { timeoutMs: 300, sweeps: { ...SWEEPS, overlapSeconds: 0 } });
    simulator.putDataset('ds_1', { status: 'running', updated_at: '2026-11-23T10:00:00.000Z' });
    simulator.putDataset('ds_2', { status: 'running', updated_at: '2026-11-23T10:00:00.000Z' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.watch({ type: 'dataset', datasetId: 'ds_2' });
    await h.poll();
    await h.poll(); // a sweep with a mark, so later ones stop at it
    simulator.putDataset('ds_1', { status: 'succeeded', updated_at: '2026-11-23T10:05:00.000Z' });
    simulator.putDataset('ds_2', { status: 'succeeded', updated_at: '2026-11-23T10:06:00.000Z' });
    // ds_1's writes fail, as if the poller died between the list and its commit; ds_2's newer change is recorded.
    const ds1Key = `WATCH#${watch.watchId}`;
    h.failDynamo((command, input) => (command === 'UpdateItem' && JSON.stringify(input.Key).includes(ds1Key) ? new Error('store unavailable') : undefined));
    await h.poll();
    h.failDynamo(undefined);
    await h.poll();
    await h.poll();

    const events = h.published();
    expect(events.map((e) => `${e.subject} ${e.data.changes[0]?.to}`).sort()).toEqual(['datasets/ds_1 succeeded', 'datasets/ds_2 succeeded']);
    const ds1 = events.find((e) => e.subject === 'datasets/ds_1')!;
    expect(ds1.id).toBe(idAt(watch.watchId, 2, ds1));
  });

  it('gives one event when two pollers sweep at once, many times', async () => {
    simulator.putDataset('ds_1', { status: 'pending' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    await h.poll();
    const statuses = ['running', 'succeeded', 'pending', 'running', 'failed'];

    for (const [round, status] of statuses.entries()) {
      simulator.putDataset('ds_1', { status });
      const at = new Date(Date.parse('2026-11-23T12:00:00Z') + round * 60_000);
      await Promise.all([pollWatches(h.deps, at), pollWatches(h.deps, at)]);
    }

    expect(h.published().map((e) => e.data.changes[0]?.to)).toEqual(statuses);
    expect(new Set(h.published().map((e) => e.id)).size).toBe(statuses.length);
  });
});

describe('sweeps: correction sessions', () => {
  it('reads every watched session of a project from one list request; a project with one watched session by its GET', async () => {
    for (const id of [1, 2, 3]) simulator.putCorrection(7, id, { status: 'SAMPLING' });
    simulator.putCorrection(8, 1, { status: 'SAMPLING' });
    for (const correctionId of [1, 2, 3]) await h.watch({ type: 'correction_session', projectId: 7, correctionId });
    await h.watch({ type: 'correction_session', projectId: 8, correctionId: 1 });
    await h.poll();
    simulator.putCorrection(7, 2, { status: 'PREDICTING' });

    const { result: summary, requests } = await requestsDuring(() => h.poll());

    expect(requests).toEqual({ correctionList: 1, correction: 1 });
    expect(summary.requests).toEqual({ get: 1, projectList: 1, datasetList: 0, runList: 0 });
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.from}→${e.data.changes[0]?.to}`)).toEqual(['projects/7/corrections/2 SAMPLING→PREDICTING']);
  });

  it('confirms a session missing from its project’s list with a GET before calling it gone', async () => {
    simulator.putCorrection(7, 1, { status: 'ANNOTATING' });
    simulator.putCorrection(7, 2, { status: 'ANNOTATING' });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 1 });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 2 });
    await h.poll();
    simulator.corrections.delete('7/2');

    const { requests } = await requestsDuring(() => h.poll());
    await h.poll();

    expect(requests).toEqual({ correctionList: 1, correction: 1 });
    expect(h.published().map((e) => `${e.type} ${e.subject}`)).toEqual([`${EVENT_TYPES.gone} projects/7/corrections/2`]);
  });

  it('falls back to single GETs when a project list is not an array, and loses no change', async () => {
    simulator.putCorrection(7, 1, { status: 'ANNOTATING' });
    simulator.putCorrection(7, 2, { status: 'ANNOTATING' });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 1 });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 2 });
    await h.poll();
    simulator.putCorrection(7, 1, { status: 'FINISHED' });
    simulator.addFault({ path: '/projects/7/corrections', exact: true, body: 'wrong-type' });

    const { result: summary, requests } = await requestsDuring(() => h.poll());

    expect(summary.listFallbacks).toBe(1);
    expect(requests).toEqual({ correctionList: 1, correction: 2 });
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`)).toEqual(['projects/7/corrections/1 FINISHED']);
  });

  it('stops asking about sessions that finished until their refresh, and still hears one that was deleted', async () => {
    simulator.putCorrection(7, 1, { status: 'ANNOTATING' });
    simulator.putCorrection(7, 2, { status: 'ANNOTATING' });
    simulator.putCorrection(9, 1, { status: 'SAMPLING' });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 1 });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 2 });
    await h.watch({ type: 'correction_session', projectId: 9, correctionId: 1 });
    await h.poll();
    simulator.putCorrection(7, 1, { status: 'FINISHED' });
    simulator.putCorrection(7, 2, { status: 'FAILED' });
    const finishing = await requestsDuring(() => h.poll());

    const quiet = await requestsDuring(() => h.poll(15_000));
    simulator.corrections.delete('7/2');
    // A whole refresh period later every finished session is due: its project is listed once more.
    const refresh = await requestsDuring(() => h.poll(3_600_000));

    expect(finishing.requests).toEqual({ correctionList: 1, correction: 1 });
    expect(quiet.requests).toEqual({ correction: 1 });
    expect(quiet.result.sweptUnchanged).toBe(2);
    expect(refresh.requests).toEqual({ correctionList: 1, correction: 2 });
    const published = h.published().map((e) => `${e.type} ${e.subject} ${e.data.changes[0]?.to ?? ''}`);
    // The two finishes come from one tick, in either order; the deletion after them.
    expect(published.slice(0, 2).sort()).toEqual([`${EVENT_TYPES.changed} projects/7/corrections/1 FINISHED`, `${EVENT_TYPES.changed} projects/7/corrections/2 FAILED`]);
    expect(published.slice(2)).toEqual([`${EVENT_TYPES.gone} projects/7/corrections/2 `]);
  });

  it('never turns a malformed list entry into an event: that session is fetched by itself', async () => {
    simulator.putCorrection(7, 1, { status: 'ANNOTATING' });
    simulator.putCorrection(7, 2, { status: 'ANNOTATING' });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 1 });
    await h.watch({ type: 'correction_session', projectId: 7, correctionId: 2 });
    await h.poll();
    simulator.putCorrection(7, 2, { status: 42 });

    const { result: summary, requests } = await requestsDuring(() => h.poll());

    expect(requests).toEqual({ correctionList: 1, correction: 1 });
    expect(summary.failuresByKind).toEqual({ malformed: 1 });
    expect(h.published()).toEqual([]);
    expect(h.logger.at('error').some((entry) => entry.message === 'malformed upstream response' && entry.extra.resource === 'projects/7/corrections/2')).toBe(true);
  });
});

describe('one fetch per resource per tick', () => {
  it('fetches a dataset that three teams watch once, and gives each team its event', async () => {
    simulator.putDataset('ds_shared', { status: 'running' });
    for (const team of ['team-a', 'team-b', 'team-c']) await h.watch({ type: 'dataset', datasetId: 'ds_shared' }, { team });
    await h.poll();
    simulator.putDataset('ds_shared', { status: 'succeeded' });

    const { requests } = await requestsDuring(() => h.poll());

    expect(requests).toEqual({ datasetList: 1, dataset: 1, datasetEvaluation: 1 });
    expect(h.published().map((e) => e.data.team).sort()).toEqual(['team-a', 'team-b', 'team-c']);
  });
});

describe('several sweeps in one invocation', () => {
  /** An invocation on a simulated clock: sleeping moves the clock. */
  function invocation(startedAt: number, sweepSeconds: number, beforeSweep: (index: number) => void) {
    let now = startedAt;
    let sweeps = 0;
    return sweepInvocation(h.deps, {
      startedAt,
      sweepSeconds,
      until: startedAt + 60_000,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      beforeSweep: () => beforeSweep(sweeps++),
    });
  }

  it('sweeps every 15 s with one Scan per invocation, re-reading only what it wrote, and reports each change once', async () => {
    simulator.putDataset('ds_1', { status: 'pending' });
    for (const id of [1, 2]) simulator.putCorrection(7, id, { status: 'SAMPLING' });
    const dataset = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    for (const correctionId of [1, 2]) await h.watch({ type: 'correction_session', projectId: 7, correctionId });
    await h.poll();
    await h.poll();
    h.dynamoCalls.length = 0;

    // A minute after the harness's last tick, so no heartbeat or refresh write muddies the count.
    const summaries = await invocation(Date.parse('2026-11-23T10:03:00Z'), 15, (sweep) => {
      if (sweep === 1) simulator.putDataset('ds_1', { status: 'running' });
      if (sweep === 2) simulator.putCorrection(7, 2, { status: 'PREDICTING' });
      if (sweep === 3) simulator.putDataset('ds_1', { status: 'succeeded' });
    });

    expect(summaries).toHaveLength(4);
    expect(h.dynamoCalls.filter((op) => op === 'Scan')).toHaveLength(1);
    // One consistent read of the sweep state per sweep, plus one per watch an earlier sweep wrote.
    expect(h.dynamoCalls.filter((op) => op === 'GetItem')).toHaveLength(4 + 2);
    expect(h.published().map((e) => `${e.subject} ${e.data.changes[0]?.to}`)).toEqual([
      'datasets/ds_1 running',
      'projects/7/corrections/2 PREDICTING',
      'datasets/ds_1 succeeded',
    ]);
    const ds1 = h.published().filter((e) => e.subject === 'datasets/ds_1');
    expect(ds1.map((e) => e.id)).toEqual([idAt(dataset.watchId, 2, ds1[0]!), idAt(dataset.watchId, 3, ds1[1]!)]);
    expect(mergeSummaries(summaries)).toMatchObject({ changed: 3, eventsPublished: 3, watches: 12 });
  });

  it('sends nothing for a watch deleted between two sweeps, though the invocation still holds its old copy', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    const watch = await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    await h.poll();
    await h.poll();

    const summaries = await invocation(Date.parse('2026-11-23T10:03:00Z'), 20, async (sweep) => {
      if (sweep !== 1) return;
      expect(await h.store.deleteWatch('team-a', watch.watchId, new Date())).toBe(true);
      simulator.putDataset('ds_1', { status: 'succeeded' });
    });

    expect(summaries).toHaveLength(3);
    expect(summaries[1]?.conflicts).toBe(1);
    expect(summaries[2]?.watches).toBe(0);
    expect(h.published()).toEqual([]);
  });
});

describe('what the deployed poller may do', () => {
  it('is granted every DynamoDB call a sweep tick makes (a missing grant is AccessDenied only in AWS)', async () => {
    simulator.putDataset('ds_1', { status: 'running' });
    for (const id of [1, 2]) simulator.putCorrection(7, id, { status: 'SAMPLING' });
    await h.watch({ type: 'dataset', datasetId: 'ds_1' });
    for (const correctionId of [1, 2]) await h.watch({ type: 'correction_session', projectId: 7, correctionId });
    await h.poll();
    simulator.putDataset('ds_1', { status: 'succeeded' });
    simulator.putCorrection(7, 2, { status: 'PREDICTING' });
    await h.poll();
    const used = new Set(h.dynamoCalls.map((op) => `dynamodb:${op}`));

    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new WatchpostStack(app, 'Watchpost', { env: { account: '123456789012', region: 'eu-west-1' } }));
    const granted = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy).includes('PollerFunctionServiceRole'))
      .flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } }).Properties.PolicyDocument.Statement)
      .flatMap((statement) => [statement.Action].flat());

    expect([...used].sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem']);
    expect([...used].filter((action) => !granted.includes(action))).toEqual([]);
  });
});
