import { createHash } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Assembly } from './assembly';
import type { InvokeResult, LambdaFunction } from './lambda-host';
import type { Stack } from './provision';

export interface BatchOutcome {
  messageIds: string[];
  invocation: InvokeResult<{ batchItemFailures?: Array<{ itemIdentifier?: string }> }>;
  /** Messages deleted from the queue after the invocation (processed). */
  deleted: string[];
  /** Messages left on the queue, to come back after its visibility timeout. */
  returned: string[];
  /** Their receipt handles, so a test can skip the visibility timeout (not the receive count). */
  receipts: Record<string, string>;
}

/**
 * An SQS event source mapping of the template, played by the test (moto runs
 * no event source mappings): it receives up to BatchSize messages from
 * moto's queue, hands them to the function as the SQS event Lambda builds,
 * and deletes what succeeded. With ReportBatchItemFailures, only the
 * messages the response names stay (an identifier that is not in the batch,
 * or a response of the wrong shape, fails the whole batch, as Lambda does);
 * a function error or timeout leaves the whole batch on the queue.
 */
export class SqsEventSource {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly reportsBatchItemFailures: boolean;
  /** The mapping's MaximumConcurrency: how many invocations it runs at once. */
  readonly maxConcurrency: number;
  readonly batches: BatchOutcome[] = [];
  /** Every body received, by message id. */
  readonly bodies: Record<string, string> = {};

  constructor(
    mappingId: string,
    assembly: Assembly,
    private readonly stack: Stack,
    private readonly fn: LambdaFunction,
  ) {
    const p = assembly.resource(mappingId).Properties ?? {};
    const functionRef = (p.FunctionName as { Ref?: string }).Ref;
    if (functionRef !== fn.logicalId) throw new Error(`${mappingId} feeds ${functionRef}, not ${fn.logicalId}`);
    this.queueArn = String(stack.resolve(p.EventSourceArn));
    const queueId = (p.EventSourceArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    this.queueUrl = stack.resources.get(queueId)?.ref as string;
    this.batchSize = Number(p.BatchSize ?? 10);
    this.reportsBatchItemFailures = ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures');
    this.maxConcurrency = Number((p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 1000);
  }

  /** The mapping of `fn` in the template (there must be exactly one). */
  static of(assembly: Assembly, stack: Stack, fn: LambdaFunction): SqsEventSource {
    const ids = assembly.idsOf('AWS::Lambda::EventSourceMapping').filter((id) => (assembly.resource(id).Properties?.FunctionName as { Ref?: string }).Ref === fn.logicalId);
    if (ids.length !== 1) throw new Error(`${fn.logicalId} has ${ids.length} event source mappings`);
    return new SqsEventSource(ids[0] as string, assembly, stack, fn);
  }

  /** One poll: receives a batch (waiting up to `waitSeconds` for the first message) and invokes once. Undefined when the queue had nothing. */
  async pollOnce(waitSeconds = 1): Promise<BatchOutcome | undefined> {
    const { Messages = [] } = await this.stack.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(this.batchSize, 10), WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return undefined;
    return this.deliver(Messages);
  }

  /**
   * Polls until a receive comes back empty; returns the batches it invoked.
   * With `concurrency` above 1 (at most the mapping's MaximumConcurrency),
   * that many pollers run at once, each invocation in an environment of its own.
   */
  async drain(waitSeconds = 1, concurrency = 1): Promise<BatchOutcome[]> {
    if (concurrency > this.maxConcurrency) throw new Error(`the mapping runs at most ${this.maxConcurrency} invocations at once`);
    const outcomes: BatchOutcome[] = [];
    const poller = async () => {
      for (;;) {
        const outcome = await this.pollOnce(waitSeconds);
        if (!outcome) return;
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, poller));
    return outcomes;
  }

  /** Invokes the function with these received messages, then deletes what it processed. */
  async deliver(messages: Message[]): Promise<BatchOutcome> {
    const records = messages.map((m) => this.record(m));
    for (const m of messages) this.bodies[m.MessageId as string] = m.Body as string;
    const event: SQSEvent = { Records: records };
    const invocation = await this.fn.invoke<{ batchItemFailures?: Array<{ itemIdentifier?: string }> }>(event);
    const ids = records.map((r) => r.messageId);
    let failed: Set<string>;
    if (invocation.error || invocation.timedOut) failed = new Set(ids);
    else if (!this.reportsBatchItemFailures) failed = new Set();
    else {
      const failures = invocation.result?.batchItemFailures;
      const named = Array.isArray(failures) ? failures.map((f) => f?.itemIdentifier) : undefined;
      // Lambda treats a malformed response, or an identifier not in the batch, as a failure of the whole batch.
      failed = named === undefined || named.some((id) => typeof id !== 'string' || !ids.includes(id)) ? new Set(ids) : new Set(named as string[]);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId as string));
    if (done.length > 0) {
      const result = await this.stack.clients.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })) }),
      );
      if (result.Failed?.length) throw new Error(`could not delete processed messages: ${JSON.stringify(result.Failed)}`);
    }
    const receipts = Object.fromEntries(messages.filter((m) => failed.has(m.MessageId as string)).map((m) => [m.MessageId as string, m.ReceiptHandle as string]));
    const outcome: BatchOutcome = { messageIds: ids, invocation, deleted: done.map((m) => m.MessageId as string), returned: [...failed], receipts };
    this.batches.push(outcome);
    return outcome;
  }

  private record(message: Message): SQSRecord {
    const a = message.Attributes ?? {};
    const messageAttributes: SQSRecord['messageAttributes'] = {};
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        dataType: value.DataType as string,
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
        stringListValues: [],
        binaryListValues: [],
      };
    }
    return {
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body as string,
      attributes: {
        ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
        SentTimestamp: a.SentTimestamp ?? String(Date.now()),
        SenderId: a.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
        ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes,
      md5OfBody: message.MD5OfBody ?? createHash('md5').update(message.Body ?? '').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.queueArn,
      awsRegion: this.stack.region,
    };
  }
}
