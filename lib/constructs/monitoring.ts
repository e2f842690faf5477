import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly poller: LambdaFunction;
  readonly pollerTimeout: Duration;
  readonly deliverer: LambdaFunction;
  readonly deadLetterQueue: Queue;
  readonly api: HttpApi;
  readonly key: IKey;
  readonly alarmEmail?: string | undefined;
  readonly pollIntervalMinutes: number;
  /** The fan-out's queue and worker, when ticks are split into segments. */
  readonly segments?: { queue: Queue; worker: LambdaFunction; count: number } | undefined;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Operator alarms on a topic of their own, and one dashboard. */
export class Monitoring extends Construct {
  public readonly alarmTopic: Topic;
  public readonly alarms: Record<'pollerErrors' | 'pollerDuration' | 'credentialFailures' | 'deadLetters' | 'api5xx' | 'deliveryErrors' | 'ticksOverrun', Alarm> &
    Partial<Record<'segmentBacklog' | 'segmentErrors' | 'segmentsNotQueued', Alarm>>;
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: props.key, enforceSSL: true, displayName: 'Watchpost operator alarms' });
    // CloudWatch publishes as a service principal: without an explicit allow in the
    // topic policy its notifications are dropped. Only this account's alarms may.
    const { account, region, partition } = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const credentialFailures = new Metric({
      namespace: 'Watchpost',
      metricName: 'CredentialFailures',
      dimensionsMap: { service: 'poller' },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
    const pollerDuration = props.poller.metricDuration({ statistic: 'Maximum', period: FIVE_MINUTES });
    const deadLetters = props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' });
    const api5xx = props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });

    const alarm = (name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const created = new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.alarmTopic));
      created.addOkAction(new SnsAction(this.alarmTopic));
      return created;
    };
    this.alarms = {
      pollerErrors: alarm('PollerErrors', props.poller.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'The poller failed (a whole tick, not one watch).'),
      pollerDuration: alarm(
        'PollerDuration',
        pollerDuration,
        Math.floor(props.pollerTimeout.toMilliseconds() * 0.8),
        'A poll tick took over 80% of its timeout: raise concurrency or the timeout.',
      ),
      credentialFailures: alarm('CredentialFailures', credentialFailures, 1, 'An upstream refused our credentials (401/403): check the upstream credentials secret.'),
      deadLetters: alarm('DeadLetters', deadLetters, 1, 'Deliveries gave up or messages kept failing: inspect the delivery dead-letter queue.'),
      api5xx: alarm('Api5xx', api5xx, 5, 'The watch API answered 5xx.'),
      deliveryErrors: alarm('DeliveryErrors', props.deliverer.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'The delivery function failed.'),
      // Cut off for 15 minutes running: the watches past the cut wait a tick each time (a resumed pass reaches them), so changes arrive late.
      ticksOverrun: alarm(
        'TicksOverrun',
        new Metric({ namespace: 'Watchpost', metricName: 'TicksCutOff', dimensionsMap: { service: 'poller' }, statistic: 'Sum', period: FIVE_MINUTES }),
        1,
        'Poll ticks keep running past their deadline: raise watchpost:pollSegments (or the concurrency) so a tick fits its interval.',
        3,
      ),
      ...(props.segments
        ? {
            segmentBacklog: alarm(
              'PollSegmentBacklog',
              props.segments.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
              props.pollIntervalMinutes * 60,
              'Poll segment messages wait longer than a tick: workers cannot keep up (concurrency quota, or errors).',
              3,
            ),
            segmentErrors: alarm('PollSegmentErrors', props.segments.worker.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 'A poll segment worker failed (a whole segment, not one watch).'),
            segmentsNotQueued: alarm(
              'PollSegmentsNotQueued',
              new Metric({ namespace: 'Watchpost', metricName: 'SegmentsNotQueued', dimensionsMap: { service: 'poller' }, statistic: 'Sum', period: FIVE_MINUTES }),
              1,
              'The poll coordinator could not queue some segments (SQS refused): those segments skipped a tick.',
            ),
          }
        : {}),
    };

    const watchpostMetric = (metricName: string) =>
      new Metric({ namespace: 'Watchpost', metricName, dimensionsMap: { service: 'poller' }, statistic: 'Sum', period: FIVE_MINUTES });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({ title: 'Poll ticks', left: [watchpostMetric('WatchesPolled'), watchpostMetric('Changes'), watchpostMetric('EventsPublished')] }),
          new GraphWidget({ title: 'Poll failures', left: [watchpostMetric('PollFailures'), credentialFailures, watchpostMetric('MalformedResponses'), watchpostMetric('EventsPending')] }),
          new GraphWidget({ title: 'Poller duration (max)', left: [pollerDuration] }),
        ],
        [
          new GraphWidget({ title: 'API', left: [props.api.metricCount({ period: FIVE_MINUTES }), api5xx, props.api.metricClientError({ period: FIVE_MINUTES })] }),
          new GraphWidget({ title: 'Delivery', left: [props.deliverer.metricInvocations({ period: FIVE_MINUTES }), props.deliverer.metricErrors({ period: FIVE_MINUTES }), deadLetters] }),
        ],
      ],
    });
  }
}
