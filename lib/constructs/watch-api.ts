import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnRoute, HttpApi, HttpMethod, HttpStage, type CfnStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { NodeFunction } from './node-function';
import type { WatchpostSecrets } from './secrets';
import type { WatchStore } from './watch-store';

export interface WatchApiProps {
  readonly store: WatchStore;
  readonly topic: Topic;
  readonly secrets: WatchpostSecrets;
  readonly deepOpinionBaseUrl: string;
  readonly adaptionBaseUrl: string;
  readonly maxWatchesPerTeam: number;
  readonly maxSubscriptionsPerTeam: number;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** A registration's budget for the upstream, retries included (inside the handler's 29 s). */
  readonly upstreamDeadlineSeconds: number;
}

/**
 * The watch API: an HTTP API with stage throttling and JSON access logs, a
 * Lambda authorizer that resolves team (and admin) tokens with a cached
 * answer, and one handler for every route. Health and the OpenAPI document
 * are public.
 */
export class WatchApi extends Construct {
  public readonly api: HttpApi;
  public readonly handler: LambdaFunction;
  public readonly authorizer: LambdaFunction;
  public readonly accessLogs: LogGroup;
  public readonly stage: HttpStage;
  /** The API's base URL. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: WatchApiProps) {
    super(scope, id);
    this.handler = new NodeFunction(this, 'Handler', {
      entry: 'api/handler.ts',
      serviceName: 'watchpost-api',
      description: 'Watchpost watch API',
      timeout: Duration.seconds(29),
      environment: {
        DEEPOPINION_BASE_URL: props.deepOpinionBaseUrl,
        ADAPTION_BASE_URL: props.adaptionBaseUrl,
        WATCHPOST_MAX_WATCHES_PER_TEAM: String(props.maxWatchesPerTeam),
        WATCHPOST_MAX_SUBSCRIPTIONS_PER_TEAM: String(props.maxSubscriptionsPerTeam),
        WATCHPOST_API_UPSTREAM_DEADLINE_MS: String(props.upstreamDeadlineSeconds * 1000),
      },
      // The console's static files travel in this function's bundle: no bucket or extra server to run.
      afterBundling: (inputDir, outputDir) => [`cd "${inputDir}" && npx --no-install tsx lambdas/console/build-cli.ts "${outputDir}/console"`],
    }).function;
    props.store.bind(this.handler, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query']);
    props.secrets.bindUpstreamCredentials(this.handler);
    props.secrets.bindAdminToken(this.handler);
    props.secrets.bindCursorKey(this.handler);
    props.secrets.bindWebhookSecretsKey(this.handler, 'seal');
    this.handler.addEnvironment('WATCHPOST_TOPIC_ARN', props.topic.topicArn);
    // Email subscriptions are SNS subscriptions on the change topic, and only there. SNS
    // authorizes Subscribe, Unsubscribe, Get- and SetSubscriptionAttributes (a PATCH of the
    // filter or pause) against the topic's ARN, not the subscription's (`topic:*` would be
    // denied at run time).
    this.handler.addToRolePolicy(
      new PolicyStatement({
        actions: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes'],
        resources: [props.topic.topicArn],
      }),
    );

    this.authorizer = new NodeFunction(this, 'Authorizer', {
      entry: 'authorizer/handler.ts',
      serviceName: 'watchpost-authorizer',
      description: 'Watchpost team-token authorizer',
      timeout: Duration.seconds(10),
      memorySize: 256,
    }).function;
    props.store.bind(this.authorizer, ['GetItem']);
    props.store.grantTokenUse(this.authorizer);
    props.secrets.bindAdminToken(this.authorizer);

    this.api = new HttpApi(this, 'Api', { description: 'Watchpost watch API', createDefaultStage: false });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
    });
    (stage.node.defaultChild as CfnStage).accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        latency: '$context.responseLatency',
        team: '$context.authorizer.team',
        error: '$context.error.message',
        authorizerError: '$context.authorizer.error',
      }),
    };

    const integration = new HttpLambdaIntegration('Integration', this.handler);
    const authorizer = new HttpLambdaAuthorizer('TeamToken', this.authorizer, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      // A revoked or expired token stops working within a minute, not five.
      resultsCacheTtl: Duration.seconds(60),
    });
    this.api.addRoutes({ path: '/healthz', methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: '/v1/openapi.json', methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: '/v1/event-types', methods: [HttpMethod.GET], integration });
    // The console page and files are public; everything it reads goes through /v1 with the team's token.
    const [page] = this.api.addRoutes({ path: '/console', methods: [HttpMethod.GET], integration });
    // The API's root leads to the console (a redirect to /console/) instead of API Gateway's bare 404.
    this.api.addRoutes({ path: '/', methods: [HttpMethod.GET], integration });
    this.api.addRoutes({ path: '/console/{proxy+}', methods: [HttpMethod.GET], integration });
    // The page's own address, /console/: a greedy {proxy+} needs at least one character after the
    // slash, so it is a route of its own. CDK's HttpRoute refuses a trailing slash (API Gateway
    // does not), hence the L1 route, on the same integration, with its invoke permission.
    new CfnRoute(this.api, 'GETconsoleslash', {
      apiId: this.api.apiId,
      routeKey: 'GET /console/',
      authorizationType: 'NONE',
      target: (page!.node.defaultChild as CfnRoute).target,
    });
    this.handler.addPermission('ConsolePageInvoke', {
      principal: new ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: '*/*/console/', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    });
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration, authorizer });
    this.stage = stage;
    this.url = `https://${this.api.apiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/`;
  }
}
