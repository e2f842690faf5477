/**
 * `npm run test:aws`, fan-out configuration (watchpost:pollSegments=4,
 * watchpost:sweepSeconds=15): the scheduled function hands the tick to four
 * segment workers through the segment queue, the workers sweep their shares
 * of the index (several sweeps per invocation), and every change reaches the
 * webhook exactly once. moto's gaps are those listed in story.test.ts; here,
 * too, the Scheduler and both event source mappings are played by the test.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, fillUpstreamCredentials, type Deployment } from './support/deployment';
import { motoInstalled, MOTO_MISSING } from './support/moto';

const SEGMENTS = 4;
const DATASETS = ['ds_a', 'ds_b', 'ds_c', 'ds_d', 'ds_e', 'ds_f'];
const CORRECTIONS = [1, 2, 3, 4].map((id) => ({ projectId: 9, correctionId: id }));
const resourceKeys = [...DATASETS.map((id) => `datasets/${id}`), ...CORRECTIONS.map((c) => `projects/${c.projectId}/corrections/${c.correctionId}`)];

let d: Deployment;
beforeAll(async () => {
  if (!motoInstalled()) throw new Error(MOTO_MISSING);
  d = await deploy('fan-out', { 'watchpost:pollSegments': String(SEGMENTS), 'watchpost:sweepSeconds': '15' });
}, 180_000);
afterAll(async () => d?.stop());

describe('fan-out: coordinator → segment queue → workers', () => {
  let token: string;
  let secret: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  it('the template wires the coordinator to the segment queue and the workers to its event source', async () => {
    expect(d.functions.segmentWorker).toBeDefined();
    expect(d.functions.poller.environment.WATCHPOST_POLL_SEGMENTS).toBe(String(SEGMENTS));
    expect(d.functions.poller.environment.WATCHPOST_POLL_SEGMENT_QUEUE_URL).toBe(d.segments?.queueUrl);
    expect(d.functions.segmentWorker?.environment.WATCHPOST_SWEEP_SECONDS).toBe('15');
    expect(d.segments).toMatchObject({ batchSize: 1, maxConcurrency: SEGMENTS });
    const { Attributes } = await d.stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: d.segments?.queueUrl, AttributeNames: ['RedrivePolicy'] }));
    expect(JSON.parse(Attributes?.RedrivePolicy as string).maxReceiveCount).toBe(2);
  });

  it(`a team watches ${DATASETS.length} datasets and ${CORRECTIONS.length} correction sessions and adds a webhook`, async () => {
    await fillUpstreamCredentials(d);
    const team = await d.api.request('POST', '/v1/admin/teams', { headers: { authorization: `Bearer ${await d.adminToken()}` }, body: { name: 'fan' } });
    expect(team.status, team.body).toBe(201);
    token = team.json.token;
    for (const id of DATASETS) {
      d.simulator.putDataset(id, { status: 'pending' });
      expect((await d.api.request('POST', '/v1/watches', { headers: auth(), body: { resource: { type: 'dataset', datasetId: id } } })).status).toBe(201);
    }
    for (const c of CORRECTIONS) {
      d.simulator.putCorrection(c.projectId, c.correctionId, { status: 'SAMPLING' });
      expect((await d.api.request('POST', '/v1/watches', { headers: auth(), body: { resource: { type: 'correction_session', ...c } } })).status).toBe(201);
    }
    const webhook = await d.api.request('POST', '/v1/subscriptions', { headers: auth(), body: { channel: 'webhook', url: `${d.receiver.url}/fan` } });
    expect(webhook.status, webhook.body).toBe(201);
    secret = webhook.json.secret;
  });

  it(`the scheduled tick queues one message per segment (${SEGMENTS}), and polls nothing itself`, async () => {
    const before = d.simulator.getStats().upstreamRequests;
    expect(await d.tick()).toEqual({ segments: SEGMENTS, queued: SEGMENTS, failed: 0 });
    const { Attributes } = await d.stack.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: d.segments?.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(Attributes?.ApproximateNumberOfMessages).toBe(String(SEGMENTS));
    expect(d.simulator.getStats().upstreamRequests).toBe(before);
  });

  it('four workers, one per segment message and each in its own environment, sweep their segments while every resource moves once', async () => {
    // Each resource moves one step as soon as a poll has seen its current state (all have: the registrations read them).
    const moved = new Set<string>();
    const mover = setInterval(() => {
      for (const key of resourceKeys) if (!moved.has(key) && d.simulator.advance(key, { observedOnly: true }) === 1) moved.add(key);
    }, 200);
    let batches;
    try {
      batches = await d.segments!.drain(1, SEGMENTS);
    } finally {
      clearInterval(mover);
    }
    expect(batches).toHaveLength(SEGMENTS);
    expect(batches.every((b) => b.messageIds.length === 1 && !b.invocation.error && !b.invocation.timedOut)).toBe(true);
    expect(d.functions.segmentWorker?.coldStarts).toBe(SEGMENTS);
    expect(moved.size).toBe(resourceKeys.length);
    const segmentsPolled = new Set(batches.map((b) => JSON.parse(d.segments!.bodies[b.messageIds[0]!] as string).segment));
    expect([...segmentsPolled].sort()).toEqual([0, 1, 2, 3]);
  }, 150_000);

  it('the delivery function posts every change to the webhook exactly once, signed', async () => {
    const batches = await d.deliveries.drain();
    expect(batches.flatMap((b) => b.returned)).toEqual([]);
    const webhook = new Webhook(secret);
    const events = d.receiver.received.map((r) => webhook.verify(r.body, r.headers as Record<string, string>) as { id: string; data: { resource: Record<string, unknown> } });
    expect(events).toHaveLength(resourceKeys.length);
    expect(new Set(events.map((e) => e.id)).size).toBe(resourceKeys.length);
    const resources = events.map((e) => JSON.stringify(e.data.resource)).sort();
    expect(new Set(resources).size).toBe(resourceKeys.length);
  });
});
