import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventEmailText } from '../../lambdas/domain/events';
import { slackMessage } from '../../lambdas/domain/slack-message';
import { AWAITING_INPUT_NOTE, EVALUATION_SKIPPED_NOTE } from '../../lambdas/domain/status-notes';
import { matchesSubscription, type Subscription } from '../../lambdas/domain/subscription';
import { messageAttributes } from '../../lambdas/adapters/sns/sns-publisher';
import { startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { apiHarness } from '../support/api-harness';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { pollerHarness } from '../support/poller-harness';

/**
 * A dataset waiting for input: the list and `GET …/status` say
 * `awaiting_input`, the single GET says `pending`. The rule (the status
 * endpoint's status whenever the single GET's is the ambiguous `pending`)
 * holds on every path, so a team hears one `pending → awaiting_input` and
 * then nothing, at the cost of any unchanged dataset.
 */
const SWEEPS = { fullRefreshSeconds: 3600, overlapSeconds: 120 };

let dynamo: LocalDynamo;
let simulator: UpstreamSimulator;

beforeAll(async () => {
  [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
});
afterAll(async () => {
  await Promise.all([dynamo.close(), simulator.close()]);
});
beforeEach(() => {
  simulator.datasets.clear();
  simulator.clearFaults();
});

async function requestsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  simulator.resetStats();
  await action();
  return simulator.getStats().byEndpoint;
}

describe('a dataset that starts waiting for input', () => {
  it('with sweeps: one event pending → awaiting_input, then no request of its own and no event while it waits', async () => {
    const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
    simulator.putDataset('ds_wait', { status: 'pending' });
    await h.watch({ type: 'dataset', datasetId: 'ds_wait' });
    await h.poll(); // baseline
    await h.poll(); // the first sweep with a mark
    simulator.putDataset('ds_wait', { status: 'awaiting_input' });

    const moved = await requestsDuring(() => h.poll());
    const waiting = [];
    for (let tick = 0; tick < 5; tick++) waiting.push(await requestsDuring(() => h.poll()));

    expect(moved).toEqual({ datasetList: 1, dataset: 1, datasetStatus: 1 });
    expect(waiting).toEqual(Array.from({ length: 5 }, () => ({ datasetList: 1 })));
    const events = h.published();
    expect(events.map((e) => [e.type, e.data.changes])).toEqual([[EVENT_TYPES.changed, [{ field: 'status', from: 'pending', to: 'awaiting_input' }]]]);
    expect(events[0]?.data.current?.status).toBe('awaiting_input');
    h.dispose();
  });

  it('with one GET per watch: the same single event, however many ticks it waits (no flapping with the single GET’s pending)', async () => {
    const h = await pollerHarness(dynamo, simulator);
    simulator.putDataset('ds_wait', { status: 'pending' });
    await h.watch({ type: 'dataset', datasetId: 'ds_wait' });
    await h.poll();
    simulator.putDataset('ds_wait', { status: 'awaiting_input' });
    for (let tick = 0; tick < 4; tick++) await h.poll();
    simulator.putDataset('ds_wait', { status: 'running', progress: { percent: 0, processed_rows: 0, total_rows: 10 } });
    await h.poll();

    expect(h.published().map((e) => e.data.changes)).toEqual([
      [{ field: 'status', from: 'pending', to: 'awaiting_input' }],
      [{ field: 'status', from: 'awaiting_input', to: 'running' }],
    ]);
    h.dispose();
  });

  it('registered while waiting: the baseline is awaiting_input, from the same two requests a poll makes', async () => {
    simulator.putDataset('ds_wait', { status: 'awaiting_input' });
    const api = await apiHarness(dynamo, simulator);
    const token = await api.createTeam('waiters');

    let created: Awaited<ReturnType<typeof api.call>> | undefined;
    const requests = await requestsDuring(async () => {
      created = await api.call('POST', '/v1/watches', { token, body: { resource: { type: 'dataset', datasetId: 'ds_wait' } } });
    });

    expect(created?.status).toBe(201);
    expect(created?.json.current).toMatchObject({ status: 'awaiting_input', grade: null });
    expect(requests).toEqual({ dataset: 1, datasetStatus: 1 });
  });

  it('is told in words in email and Slack, passes a statuses filter naming it, and carries the status as an SNS attribute', async () => {
    const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
    simulator.putDataset('ds_wait', { status: 'pending' });
    await h.watch({ type: 'dataset', datasetId: 'ds_wait' });
    await h.poll();
    simulator.putDataset('ds_wait', { status: 'awaiting_input' });
    await h.poll();
    const [event] = h.published();
    if (!event) throw new Error('no event');

    expect(eventEmailText(event)).toContain(`\n\n${AWAITING_INPUT_NOTE}\n`);
    expect(JSON.stringify(slackMessage(event).blocks)).toContain(AWAITING_INPUT_NOTE);
    const subscription = (statuses: string[]) => ({ id: 'sub_1', team: 'team-a', channel: 'webhook', filter: { statuses } }) as Subscription;
    expect(matchesSubscription(event, subscription(['awaiting_input']))).toBe(true);
    expect(matchesSubscription(event, subscription(['pending']))).toBe(false);
    expect(messageAttributes(event).status).toEqual({ DataType: 'String', StringValue: 'awaiting_input' });
    h.dispose();
  });
});

describe('a run whose evaluation was skipped', () => {
  it('says so in the event’s context and texts: no grade is coming', async () => {
    const h = await pollerHarness(dynamo, simulator, { sweeps: SWEEPS });
    simulator.putDataset('ds_skip', { status: 'running', progress: { percent: 50, processed_rows: 5, total_rows: 10 } });
    await h.watch({ type: 'dataset', datasetId: 'ds_skip' });
    await h.poll();
    simulator.putDataset('ds_skip', { status: 'succeeded', progress: null, evaluation_status: 'skipped' });

    const requests = await requestsDuring(() => h.poll());

    const [event] = h.published();
    expect(requests).toEqual({ datasetList: 1, dataset: 1, datasetEvaluation: 1 });
    expect(event?.data.changes).toEqual([{ field: 'status', from: 'running', to: 'succeeded' }]);
    expect(event?.data.current).toMatchObject({ status: 'succeeded', grade: null, details: { evaluationStatus: 'skipped', evaluation: null } });
    expect(eventEmailText(event!)).toContain(EVALUATION_SKIPPED_NOTE);
    expect(JSON.stringify(slackMessage(event!).blocks)).toContain(EVALUATION_SKIPPED_NOTE);
    h.dispose();
  });
});
