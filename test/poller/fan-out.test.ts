import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { fanOutTick, SegmentMessageSchema } from '../../lambdas/poller/fan-out';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/poll-segments';
const client = new SQSClient({ region: 'eu-west-1' });
const sqs = mockClient(client);
afterEach(() => sqs.reset());

describe('handing a tick to its segments', () => {
  it('sends one message per segment, ten to a batch, each naming its share and the tick', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({ Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] }));
    const now = new Date('2026-12-01T12:00:00Z');

    const fanned = await fanOutTick(client, QUEUE, 12, now);

    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(fanned).toEqual({ segments: 12, queued: 12, failed: 0 });
    expect(batches.map((b) => b.Entries?.length)).toEqual([10, 2]);
    expect(batches.every((b) => b.QueueUrl === QUEUE)).toBe(true);
    const messages = batches.flatMap((b) => b.Entries ?? []).map((e) => SegmentMessageSchema.parse(JSON.parse(e.MessageBody ?? '')));
    expect(messages.map((m) => m.segment)).toEqual([...Array(12).keys()]);
    expect(new Set(messages.map((m) => `${m.of} ${m.tick}`))).toEqual(new Set(['12 2026-12-01T12:00:00.000Z']));
  });

  it('counts what did not go out, entry by entry or a whole batch, and still sends the other batches', async () => {
    let call = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => {
      call += 1;
      if (call === 1) throw new Error('SQS is unavailable');
      return { Successful: input.Entries.slice(1).map((e) => ({ Id: e.Id })), Failed: [{ Id: input.Entries[0]!.Id, Code: 'InternalError', SenderFault: false }] };
    });

    const fanned = await fanOutTick(client, QUEUE, 13, new Date());

    expect(fanned).toEqual({ segments: 13, queued: 2, failed: 11 });
  });
});
