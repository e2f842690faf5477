import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { processDeliveryBatch } from '../../lambdas/delivery/process-batch';
import { buildDisabledNotice } from '../../lambdas/domain/subscription-notice';
import { startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { deliveryHarness } from '../support/delivery-harness';
import { startReceiver, type Receiver } from '../support/receiver';

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'sns', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:watchpost-delivery',
    awsRegion: 'eu-west-1',
  };
}

let dynamo: LocalDynamo;
let receiver: Receiver;
let h: Awaited<ReturnType<typeof deliveryHarness>>;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());
beforeEach(async () => {
  receiver = await startReceiver();
  h = await deliveryHarness(dynamo);
});
afterEach(() => receiver.close());

describe('the delivery queue consumer', () => {
  it('reports only the message that failed, so one bad message does not redeliver the batch', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const event: SQSEvent = { Records: [sqsRecord('m1', JSON.stringify(h.event())), sqsRecord('m2', '{"not":"an event"}'), sqsRecord('m3', 'not json')] };

    const response = await processDeliveryBatch(h.service, event, h.logger);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm2' }, { itemIdentifier: 'm3' }]);
    expect(receiver.received).toHaveLength(1);
  });

  it('acknowledges a notice meant for email that reached the queue, and delivers it to no webhook', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const notice = buildDisabledNotice(
      { id: 'sub_x', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/x' },
      { reason: 'gone', failingSince: null, disabledAt: h.now(), lastError: 'receiver answered 410' },
    );

    const response = await processDeliveryBatch(h.service, { Records: [sqsRecord('m1', JSON.stringify(notice))] }, h.logger);

    expect(response.batchItemFailures).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it('reports a message whose processing hits an infrastructure error', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const broken = await deliveryHarness({ ...dynamo, client: dynamo.client }, 'no-such-table');

    const response = await processDeliveryBatch(broken.service, { Records: [sqsRecord('m1', JSON.stringify(h.event()))] }, h.logger);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
  });

  it('reads a team’s subscriptions once per batch', async () => {
    await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    const reads = vi.spyOn(h.subscriptions, 'all');
    const records = [1, 2, 3].map((n) => sqsRecord(`m${n}`, JSON.stringify(h.event())));

    await processDeliveryBatch(h.service, { Records: records }, h.logger);

    expect(receiver.received).toHaveLength(3);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('runs a delayed retry message', async () => {
    const subscription = await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 500 });
    const event = h.event();
    await h.service.deliverEvent(event);
    h.advance(6_000);

    const retry = JSON.stringify({ kind: 'retry', team: 'team-a', subscriptionId: subscription.id, eventId: event.id });
    const response = await processDeliveryBatch(h.service, { Records: [sqsRecord('r1', retry)] }, h.logger);

    expect(response.batchItemFailures).toEqual([]);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([event.id, event.id]);
  });
});

describe('a batch bounded by the function’s remaining time', () => {
  it('returns the messages it could not start, and a full retry of the batch posts nothing twice', async () => {
    const slow = await startReceiver({ status: 200, delayMs: 300 });
    await h.subscribe({ channel: 'webhook', url: `${slow.url}/hook` });
    const events = Array.from({ length: 10 }, () => h.event());
    const batch: SQSEvent = { Records: events.map((e, i) => sqsRecord(`m${i}`, JSON.stringify(e))) };

    // Time runs short while the first messages (four at a time) are in flight.
    const first = await processDeliveryBatch(h.service, batch, h.logger, { signal: AbortSignal.timeout(100) });
    // SQS brings the whole batch back (the function timed out, say), with nothing cut short this time.
    const second = await processDeliveryBatch(h.service, batch, h.logger);

    expect(first.batchItemFailures.length).toBeGreaterThanOrEqual(5);
    expect(second.batchItemFailures).toEqual([]);
    expect(slow.received.map((r) => r.headers['webhook-id']).sort()).toEqual(events.map((e) => e.id).sort());
    await slow.close();
  });

  it('never posts an attempt twice when a redelivered batch arrives while the first is still in flight', async () => {
    const slow = await startReceiver({ status: 200, delayMs: 400 });
    await h.subscribe({ channel: 'webhook', url: `${slow.url}/hook` });
    const events = Array.from({ length: 6 }, () => h.event());
    const batch: SQSEvent = { Records: events.map((e, i) => sqsRecord(`m${i}`, JSON.stringify(e))) };

    await Promise.all([processDeliveryBatch(h.service, batch, h.logger), processDeliveryBatch(h.service, batch, h.logger)]);

    expect(slow.received).toHaveLength(6);
    expect(new Set(slow.received.map((r) => r.headers['webhook-id'])).size).toBe(6);
    await slow.close();
  });

  it('fails an event whose subscriptions were not all tried in time, and tries the rest when it comes back', async () => {
    for (let i = 0; i < 12; i++) await h.subscribe({ channel: 'webhook', url: `${receiver.url}/hook/${i}` });
    receiver.answer(...Array.from({ length: 8 }, () => ({ status: 200, delayMs: 200 })));
    const event = h.event();
    const batch: SQSEvent = { Records: [sqsRecord('m1', JSON.stringify(event))] };

    const first = await processDeliveryBatch(h.service, batch, h.logger, { signal: AbortSignal.timeout(100) });
    const second = await processDeliveryBatch(h.service, batch, h.logger);

    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(second.batchItemFailures).toEqual([]);
    expect(receiver.received.map((r) => r.path).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `/hook/${i}`).sort());
  });
});
