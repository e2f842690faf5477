import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsDeadLetters, SqsRetryScheduler } from '../../lambdas/adapters/sqs/sqs-delivery-queues';

const client = new SQSClient({ region: 'eu-west-1' });
const sqs = mockClient(client);
afterEach(() => sqs.reset());

const NOW = new Date('2026-11-23T12:00:00Z');
const ref = { team: 'team-a', subscriptionId: 'sub_1', eventId: 'evt_1' };

describe('SqsRetryScheduler', () => {
  it.each([
    [5_000, 5],
    [5 * 60_000, 300],
    [2 * 3_600_000, 900],
    [-1_000, 0],
  ])('delays a retry due in %i ms by %i s (SQS allows 900 at most)', async (inMs, seconds) => {
    sqs.on(SendMessageCommand).resolves({});

    await new SqsRetryScheduler(client, 'https://sqs/delivery', () => NOW).schedule(ref, new Date(NOW.getTime() + inMs));

    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.DelaySeconds).toBe(seconds);
    expect(JSON.parse(input?.MessageBody ?? '{}')).toEqual({ kind: 'retry', ...ref });
  });
});

describe('SqsDeadLetters', () => {
  it('sends the dead delivery with its reason to the dead-letter queue', async () => {
    sqs.on(SendMessageCommand).resolves({});

    await new SqsDeadLetters(client, 'https://sqs/dlq').send(
      { ...ref, event: { id: 'evt_1' } as never, status: 'dead', attempts: 8, nextAttemptAt: null, createdAt: NOW.toISOString() },
      'receiver answered 500',
    );

    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe('https://sqs/dlq');
    expect(JSON.parse(input?.MessageBody ?? '{}')).toMatchObject({ kind: 'dead-delivery', reason: 'receiver answered 500', eventId: 'evt_1', attempts: 8 });
  });
});
