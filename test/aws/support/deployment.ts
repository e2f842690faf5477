import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../../lambdas/local/simulator/simulator';
import { startReceiver, type Receiver } from '../../support/receiver';
import { TEST_RECEIVERS_VARIABLE } from '../../../lambdas/adapters/http/test-receivers';
import { HttpApiGateway } from './api-gateway';
import { readAssembly, removeAssembly, synthesize, type Assembly } from './assembly';
import { SqsEventSource } from './event-source';
import { LambdaFunction } from './lambda-host';
import { startMoto, type Moto } from './moto';
import { ACCOUNT_ID, Stack } from './provision';

/** The functions of the template, by what they are. */
export interface Functions {
  api: LambdaFunction;
  authorizer: LambdaFunction;
  poller: LambdaFunction;
  delivery: LambdaFunction;
  /** With fan-out only. */
  segmentWorker?: LambdaFunction | undefined;
}

/**
 * One configuration of Watchpost "deployed" on this machine: synthesized
 * once, provisioned in a moto of its own from the template, its functions
 * ready to run as Lambda would, and the parts AWS would drive (API Gateway,
 * the Scheduler, the SQS event sources) played by the test. Upstreams are
 * the project's simulator; webhooks go to real receivers on 127.0.0.1.
 */
export interface Deployment {
  assembly: Assembly;
  moto: Moto;
  stack: Stack;
  functions: Functions;
  api: HttpApiGateway;
  deliveries: SqsEventSource;
  segments?: SqsEventSource | undefined;
  simulator: UpstreamSimulator;
  /** The webhook receiver the delivery function may reach (listed in the test seam). */
  receiver: Receiver;
  /** A second loopback receiver, admitted by the API but not by the delivery function: the guard at delivery time. */
  unlistedReceiver: Receiver;
  /** What the Scheduler sends the poller on each tick (its default notification: the template gives no Input). */
  tick(): Promise<unknown>;
  adminToken(): Promise<string>;
  stop(): Promise<void>;
}

export async function deploy(name: string, context: Record<string, string> = {}): Promise<Deployment> {
  const dir = await synthesize(name, context);
  const assembly = readAssembly(dir);
  const moto = await startMoto();
  const started: Array<{ stop?: () => Promise<void>; close?: () => Promise<void> }> = [{ stop: async () => removeAssembly(dir) }, moto];
  try {
    const stack = await Stack.provision(assembly, moto.endpoint);
    const simulator = await startSimulator();
    started.push(simulator);
    const receiver = await startReceiver();
    const unlistedReceiver = await startReceiver();
    started.push(receiver, unlistedReceiver);

    // The template's upstreams are the real services; here they are the simulator (on http, which the stack's config refuses).
    const upstreams = { DEEPOPINION_BASE_URL: simulator.url, ADAPTION_BASE_URL: simulator.url };
    const fn = (part: string, options: ConstructorParameters<typeof LambdaFunction>[4] = {}) => new LambdaFunction(assembly.functionId(part), assembly, stack, moto.endpoint, options);
    const functions: Functions = {
      // The API admits both receivers at registration; the delivery function can reach only the first.
      api: fn('WatchApi/Handler', { override: upstreams, extra: { [TEST_RECEIVERS_VARIABLE]: `${receiver.url},${unlistedReceiver.url}` } }),
      authorizer: fn('WatchApi/Authorizer'),
      poller: fn('Poller/Poller', { override: upstreams }),
      delivery: fn('Delivery/Deliverer', { extra: { [TEST_RECEIVERS_VARIABLE]: receiver.url } }),
      segmentWorker: assembly.idsOf('AWS::Lambda::Function').some((id) => String(assembly.resource(id).Metadata?.['aws:cdk:path']).includes('/SegmentWorker/'))
        ? fn('Poller/SegmentWorker', { override: upstreams })
        : undefined,
    };
    started.push(...Object.values(functions).filter((f): f is LambdaFunction => f !== undefined));

    const [scheduleId] = assembly.idsOf('AWS::Scheduler::Schedule');
    const schedule = assembly.resource(scheduleId as string).Properties ?? {};
    const target = schedule.Target as { Arn: unknown; Input?: string };
    if (stack.resolve(target.Arn) !== functions.poller.arn) throw new Error('the schedule targets another function than the poller');
    const scheduleArn = `arn:aws:scheduler:${stack.region}:${ACCOUNT_ID}:schedule/default/${stack.resources.get(scheduleId as string)?.ref}`;
    const tick = () =>
      functions.poller.call(
        target.Input !== undefined
          ? JSON.parse(target.Input)
          : {
              version: '0',
              id: crypto.randomUUID(),
              'detail-type': 'Scheduled Event',
              source: 'aws.scheduler',
              account: ACCOUNT_ID,
              time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              region: stack.region,
              resources: [scheduleArn],
              detail: '{}',
            },
      );

    const adminSecret = stack.functionEnvironment(assembly.functionId('WatchApi/Handler')).WATCHPOST_ADMIN_TOKEN_SECRET_ARN as string;
    const deployment: Deployment = {
      assembly,
      moto,
      stack,
      functions,
      api: new HttpApiGateway(assembly, stack, functions.api, functions.authorizer),
      deliveries: SqsEventSource.of(assembly, stack, functions.delivery),
      segments: functions.segmentWorker ? SqsEventSource.of(assembly, stack, functions.segmentWorker) : undefined,
      simulator,
      receiver,
      unlistedReceiver,
      tick,
      adminToken: async () => (await stack.clients.secrets.send(new GetSecretValueCommand({ SecretId: adminSecret }))).SecretString as string,
      stop: () => stopAll(started),
    };
    return deployment;
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

/** What an operator does after the first deploy: fills the upstream credentials secret (its keys are the template's). */
export async function fillUpstreamCredentials(deployment: Deployment): Promise<void> {
  const arn = deployment.stack.functionEnvironment(deployment.functions.poller.logicalId).WATCHPOST_UPSTREAM_SECRET_ARN as string;
  const { secrets } = deployment.stack.clients;
  const current = JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString as string) as Record<string, string>;
  const filled = { ...current, ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey, DEEPOPINION_EMAIL: SIMULATOR_DEFAULTS.deepOpinion.email, DEEPOPINION_PASSWORD: SIMULATOR_DEFAULTS.deepOpinion.password };
  await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: JSON.stringify(filled) }));
}

async function stopAll(parts: Array<{ stop?: () => Promise<void>; close?: () => Promise<void> }>): Promise<void> {
  await Promise.allSettled(parts.reverse().map((part) => (part.stop ? part.stop() : part.close?.())));
}
