import { Annotations, CfnOutput, Stack, Token, type StackProps } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { TEST_RECEIVERS_VARIABLE } from '../lambdas/adapters/http/test-receivers';
import type { Construct } from 'constructs';
import { API_AND_AUTHORIZER_MINIMUM, backgroundConcurrency, resolveConfig, type WatchpostConfig } from './config';
import { ChangeTopic } from './constructs/change-topic';
import { Delivery } from './constructs/delivery';
import { Monitoring } from './constructs/monitoring';
import { Poller } from './constructs/poller';
import { WatchpostSecrets } from './constructs/secrets';
import { WatchApi } from './constructs/watch-api';
import { WatchStore } from './constructs/watch-store';
import { acknowledgeNagFindings } from './nag-acknowledgements';

export interface WatchpostStackProps extends StackProps {
  /** Deployment settings; defaults apply to what is left out (see lib/config.ts). */
  readonly config?: Partial<Record<keyof WatchpostConfig, unknown>>;
}

/** All of Watchpost: store, topic, poller, watch API, delivery, secrets and monitoring. */
export class WatchpostStack extends Stack {
  public readonly store: WatchStore;
  public readonly changes: ChangeTopic;
  public readonly secrets: WatchpostSecrets;
  public readonly poller: Poller;
  public readonly watchApi: WatchApi;
  public readonly delivery: Delivery;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: WatchpostStackProps = {}) {
    super(scope, id, props);
    const config = resolveConfig(props.config ?? {});

    this.store = new WatchStore(this, 'Store');
    this.changes = new ChangeTopic(this, 'Changes');
    this.secrets = new WatchpostSecrets(this, 'Secrets');
    this.poller = new Poller(this, 'Poller', {
      store: this.store,
      topic: this.changes.topic,
      secrets: this.secrets,
      rateMinutes: config.pollRateMinutes,
      timeoutMinutes: config.pollerTimeoutMinutes,
      concurrency: config.pollConcurrency,
      sweepSeconds: config.sweepSeconds,
      segments: config.pollSegments,
      reservedConcurrency: config.pollerReservedConcurrency,
      deepOpinionBaseUrl: config.deepOpinionBaseUrl,
      adaptionBaseUrl: config.adaptionBaseUrl,
    });
    this.watchApi = new WatchApi(this, 'WatchApi', {
      store: this.store,
      topic: this.changes.topic,
      secrets: this.secrets,
      deepOpinionBaseUrl: config.deepOpinionBaseUrl,
      adaptionBaseUrl: config.adaptionBaseUrl,
      maxWatchesPerTeam: config.maxWatchesPerTeam,
      maxSubscriptionsPerTeam: config.maxSubscriptionsPerTeam,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      upstreamDeadlineSeconds: config.apiUpstreamDeadlineSeconds,
    });
    this.delivery = new Delivery(this, 'Delivery', { store: this.store, topic: this.changes.topic, secrets: this.secrets, maxConcurrency: config.deliveryMaxConcurrency });
    const background = backgroundConcurrency(config);
    const left = config.accountConcurrency - background.total;
    if (left < API_AND_AUTHORIZER_MINIMUM) {
      Annotations.of(this).addWarning(
        `At its peak this configuration runs ${background.total} concurrent executions in the background (poller ${background.poller}, segment workers ${background.segmentWorkers}, delivery ${background.delivery}), ` +
          `leaving ${left} of watchpost:accountConcurrency ${config.accountConcurrency} for the API and its authorizer (they need at least ${API_AND_AUTHORIZER_MINIMUM}): ` +
          'raise the account quota (and watchpost:accountConcurrency), or lower watchpost:pollSegments or watchpost:deliveryMaxConcurrency.',
      );
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      poller: this.poller.function,
      pollerTimeout: this.poller.timeout,
      pollIntervalMinutes: config.pollRateMinutes,
      segments: this.poller.segments,
      deliverer: this.delivery.function,
      deadLetterQueue: this.delivery.deadLetterQueue,
      api: this.watchApi.api,
      key: this.changes.key,
      alarmEmail: config.alarmEmail,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.watchApi.url, description: 'Watch API base URL' });
    new CfnOutput(this, 'UpstreamCredentialsSecret', { value: this.secrets.upstreamCredentials.secretName, description: 'Fill with the upstream credentials (JSON)' });
    new CfnOutput(this, 'AdminTokenSecret', { value: this.secrets.adminToken.secretName, description: 'Operator token for POST /v1/admin/teams' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn, description: 'Subscribe operators here' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.delivery.deadLetterQueue.queueUrl });

    acknowledgeNagFindings(this);
    this.node.addValidation({ validate: () => testSeamsSet(this) });
  }
}

/**
 * The SSRF guard's test seam (lambdas/adapters/http/test-receivers.ts) is
 * for test:aws on a workstation: a function of this stack that sets its
 * variable fails synthesis, whoever added it.
 */
function testSeamsSet(stack: Stack): string[] {
  return stack.node
    .findAll()
    .filter((construct): construct is CfnFunction => construct instanceof CfnFunction)
    .filter((fn) => {
      const environment = stack.resolve(fn.environment) as { variables?: Record<string, unknown> } | undefined;
      return !Token.isUnresolved(environment) && environment?.variables !== undefined && TEST_RECEIVERS_VARIABLE in environment.variables;
    })
    .map((fn) => `${fn.node.path}: sets ${TEST_RECEIVERS_VARIABLE}, the SSRF guard's test seam; a deployed function must never carry it`);
}
