import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsPublisher } from '../../lambdas/adapters/sns/sns-publisher';
import { buildWatchEvent, EVENT_TYPES, type WatchEvent } from '../../lambdas/domain/events';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:changes';
const client = new SNSClient({ region: 'eu-west-1' });
const sns = mockClient(client);
afterEach(() => sns.reset());

function events(count: number): WatchEvent[] {
  return Array.from({ length: count }, (_, i) =>
    buildWatchEvent({
      watch: { watchId: `w${i}`, team: 'team-a', label: null, resource: { type: 'dataset', datasetId: `ds_${i}` } },
      version: 2,
      time: new Date('2026-11-23T12:00:00Z'),
      type: EVENT_TYPES.changed,
      changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: 'C', to: 'A' }],
      previous: null,
      current: { status: 'succeeded', grade: 'A', score: 0.9, progressPercent: null, details: {} },
    }),
  );
}

const allSucceed = (input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => ({
  Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
  Failed: [],
});

describe('SnsPublisher', () => {
  it('publishes in batches of at most ten', async () => {
    sns.on(PublishBatchCommand).callsFake(allSucceed);

    const result = await new SnsPublisher(client, TOPIC).publish(events(23));

    expect(result.failedIds).toEqual([]);
    expect(sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 3]);
  });

  it('sends the CloudEvent as default, readable text for email, and a short subject', async () => {
    sns.on(PublishBatchCommand).callsFake(allSucceed);
    const [event] = events(1);

    await new SnsPublisher(client, TOPIC).publish([event as WatchEvent]);

    const entry = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0];
    expect(entry?.MessageStructure).toBe('json');
    expect(entry?.Subject).toBe('dataset ds_0: running → succeeded (grade C → A)');
    const message = JSON.parse(entry?.Message ?? '{}');
    expect(JSON.parse(message.default)).toEqual(event);
    expect(message.email).toContain('status: running → succeeded');
  });

  it('sets the attributes subscription filter policies match on', async () => {
    sns.on(PublishBatchCommand).callsFake(allSucceed);

    await new SnsPublisher(client, TOPIC).publish(events(1));

    const attributes = sns.commandCalls(PublishBatchCommand)[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.MessageAttributes;
    expect(attributes).toEqual({
      eventType: { DataType: 'String', StringValue: EVENT_TYPES.changed },
      team: { DataType: 'String', StringValue: 'team-a' },
      watchId: { DataType: 'String', StringValue: 'w0' },
      resourceType: { DataType: 'String', StringValue: 'dataset' },
      changedFields: { DataType: 'String.Array', StringValue: '["status","grade"]' },
      status: { DataType: 'String', StringValue: 'succeeded' },
      // C → A: better (A is best), for `grade` filters of email subscriptions.
      gradeMove: { DataType: 'String', StringValue: 'improved' },
    });
  });

  it('reports the entries SNS rejected, and only those', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [{ Id: 'e0' }], Failed: [{ Id: 'e1', Code: 'Throttled', SenderFault: false }] });
    const batch = events(2);

    const result = await new SnsPublisher(client, TOPIC).publish(batch);

    expect(result.failedIds).toEqual([batch[1]?.id]);
    expect(result.errors).toEqual(['Throttled: entry rejected']);
  });

  it('reports a whole batch as failed when the call fails, and still tries the next batch', async () => {
    sns.on(PublishBatchCommand).rejectsOnce(new Error('throttled')).callsFake(allSucceed);
    const batch = events(12);

    const result = await new SnsPublisher(client, TOPIC).publish(batch);

    expect(result.failedIds).toEqual(batch.slice(0, 10).map((e) => e.id));
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(2);
  });
});
