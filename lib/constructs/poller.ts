import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
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
  public readonly function: NodejsFunction;
  public readonly schedule: Schedule;
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: PollerProps) {
    super(scope, id);
    this.timeout = Duration.minutes(props.timeoutMinutes);
    this.function = new NodeFunction(this, 'Poller', {
      entry: 'poller/handler.ts',
      serviceName: 'watchpost-poller',
      description: 'Polls watched resources and publishes their changes',
      timeout: this.timeout,
      memorySize: 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        WATCHPOST_POLL_CONCURRENCY: String(props.concurrency),
        // A tick stops starting watches at 80% of its interval, so ticks never pile up.
        WATCHPOST_TICK_DEADLINE_SECONDS: String(Math.round(props.rateMinutes * 60 * 0.8)),
        WATCHPOST_POLL_INTERVAL_SECONDS: String(props.rateMinutes * 60),
        WATCHPOST_SWEEP_SECONDS: String(props.sweepSeconds),
        DEEPOPINION_BASE_URL: props.deepOpinionBaseUrl,
        ADAPTION_BASE_URL: props.adaptionBaseUrl,
      },
    }).function;
    this.function.configureAsyncInvoke({ maxEventAge: Duration.minutes(1), retryAttempts: 0 });

    // GetItem and PutItem: the sweep state (high-water mark), read consistently and written conditionally.
    props.store.bind(this.function, ['Scan', 'GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem']);
    this.function.addEnvironment('WATCHPOST_TOPIC_ARN', props.topic.topicArn);
    props.topic.grantPublish(this.function);
    props.secrets.bindUpstreamCredentials(this.function);

    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(Duration.minutes(props.rateMinutes)),
      description: 'Watchpost poll tick',
      target: new LambdaInvoke(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(1) }),
    });
  }
}
