import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NodeFunction } from './node-function';
import type { WatchpostSecrets } from './secrets';
import type { WatchStore } from './watch-store';

export interface PollerProps {
  readonly store: WatchStore;
  readonly topic: Topic;
  readonly secrets: WatchpostSecrets;
  /** Minutes between ticks. */
  readonly rateMinutes: number;
  readonly timeoutMinutes: number;
  readonly concurrency: number;
  /** Seconds between sweeps; below the rate, several per invocation. */
  readonly sweepSeconds: number;
  /** Poller segments a tick fans out to; 1: no fan-out. */
  readonly segments: number;
  /**
   * Reserved concurrency for the poller. Ticks never overlap without it (a
   * lease item in the table does that); reserve only where the account's
   * concurrency quota leaves room (at least 10 unreserved must remain).
   * @default - none reserved
   */
  readonly reservedConcurrency?: number | undefined;
  readonly deepOpinionBaseUrl: string;
  readonly adaptionBaseUrl: string;
}

/**
 * The scheduled poller. Ticks never overlap: each takes a lease item in the
 * table with a conditional write (held until its timeout at most) and a tick
 * that finds it held is skipped. Nothing is reserved by default, so a new
 * account with a concurrency quota of 10 can deploy; late ticks are dropped
 * (no retries, one minute's event age) instead of queueing up.
 */
export class Poller extends Construct {
  public readonly function: LambdaFunction;
  public readonly schedule: Schedule;
  public readonly timeout: Duration;
  /** With more than one segment: the queue the scheduled function hands segments to, and their worker. */
  public readonly segments?: { queue: Queue; worker: LambdaFunction; count: number } | undefined;

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    this.timeout = Duration.minutes(props.timeoutMinutes);
    const environment = {
      WATCHPOST_POLL_CONCURRENCY: String(props.concurrency),
      // A tick stops starting watches at 80% of its interval, so ticks never pile up.
      WATCHPOST_TICK_DEADLINE_SECONDS: String(Math.round(props.rateMinutes * 60 * 0.8)),
      WATCHPOST_POLL_INTERVAL_SECONDS: String(props.rateMinutes * 60),
      WATCHPOST_SWEEP_SECONDS: String(props.sweepSeconds),
      DEEPOPINION_BASE_URL: props.deepOpinionBaseUrl,
      ADAPTION_BASE_URL: props.adaptionBaseUrl,
    };
    this.function = new NodeFunction(this, 'Poller', {
      entry: 'poller/handler.ts',
      serviceName: 'watchpost-poller',
      description: props.segments > 1 ? `Hands each poll tick to its ${props.segments} segment workers` : 'Polls watched resources and publishes their changes',
      timeout: this.timeout,
      memorySize: 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { ...environment, WATCHPOST_POLL_SEGMENTS: String(props.segments) },
    }).function;
    this.function.configureAsyncInvoke({ maxEventAge: Duration.minutes(1), retryAttempts: 0 });
    this.bindPolling(this.function, props);

    if (props.segments > 1) {
      // SQS rather than Step Functions: nothing waits for the segments to finish, so a
      // queue and an event source are all it takes, with no state machine to operate.
      const failed = new Queue(this, 'SegmentDeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(1) });
      const queue = new Queue(this, 'SegmentQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(this.timeout.toSeconds() + 30),
        // Workers drop a message older than one tick; the next tick's covers its segment.
        retentionPeriod: Duration.hours(1),
        // A segment whose worker failed twice is set aside (and alarmed on); the next tick tries it afresh.
        deadLetterQueue: { queue: failed, maxReceiveCount: 2 },
      });
      const worker = new NodeFunction(this, 'SegmentWorker', {
        entry: 'poller/segment-handler.ts',
        serviceName: 'watchpost-poller-segment',
        description: 'Polls one segment of the watch index for a tick',
        timeout: this.timeout,
        memorySize: 1024,
        environment,
      }).function;
      this.bindPolling(worker, props);
      worker.addEventSource(new SqsEventSource(queue, { batchSize: 1, maxConcurrency: Math.max(2, props.segments) }));
      queue.grantSendMessages(this.function);
      this.function.addEnvironment('WATCHPOST_POLL_SEGMENT_QUEUE_URL', queue.queueUrl);
      this.segments = { queue, worker, count: props.segments };
    }

    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(Duration.minutes(props.rateMinutes)),
      description: 'Watchpost poll tick',
      target: new LambdaInvoke(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
    });
  }

  /** What polling needs, for the scheduled function and the segment workers alike. */
  private bindPolling(fn: LambdaFunction, props: PollerProps): void {
    // GetItem and PutItem: the sweep state (high-water mark), read consistently and written conditionally;
    // DeleteItem: a finished pass clears its resume position.
    props.store.bind(fn, ['Scan', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
    fn.addEnvironment('WATCHPOST_TOPIC_ARN', props.topic.topicArn);
    props.topic.grantPublish(fn);
    props.secrets.bindUpstreamCredentials(fn);
  }
}
