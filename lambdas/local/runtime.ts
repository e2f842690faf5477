import { CHANNELS } from '../domain/subscription';
import { readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { LocalSecretBox } from '../adapters/crypto/local-secret-box';
import { readOrCreateKeyFile } from '../adapters/crypto/key-file';
import { CursorSigner } from '../adapters/dynamo/cursor';
import { DeliveryStore } from '../adapters/dynamo/delivery-store';
import { SubscriptionStore } from '../adapters/dynamo/subscription-store';
import { safePostJson } from '../adapters/http/safe-post';
import { localEmailSubscriptions } from '../adapters/sns/email-subscriptions';
import { DeliveryService } from '../delivery/delivery-service';
import { ensureTable } from '../adapters/dynamo/table';
import { TeamStore } from '../adapters/dynamo/team-store';
import { DynamoPollStore } from '../adapters/dynamo/poll-store';
import { TeamQuota } from '../adapters/dynamo/team-quota';
import { WatchStore } from '../adapters/dynamo/watch-store';
import { UpstreamFetcher } from '../adapters/upstream/upstream-fetcher';
import { credentialsFromEnv, hasAnyCredentials, linkTemplates, pollIntervalSeconds, pollPolicy, sweepPolicy, tickDeadlineMs, providerConfigured, upstreamConfigured, upstreamSettings, type Env } from '../config';
import { PROVIDERS, providerOf, RESOURCE_TYPE_NAMES, type ProviderId } from '../domain/resource';
import { runEvery } from './run-every';
import { checkEmbeddedDatabase, claimDataDir, listenOn, readStateFile, StartupError } from './startup';
import { pollWatches, type PollSummary } from '../domain/poll-watches';
import type { Logger } from '../domain/ports';
import { newTeamToken } from '../api/auth';
import type { ApiDeps } from '../api/deps';
import { startApiServer } from './api-server';
import { seedDemo } from './demo';
import { JsonlPublisher } from './jsonl-publisher';
import { buildConsoleAssets } from '../console/assets';
import { JsonlDeadLetters, MailLogNotices, MailLogSender, startRetryLoop, storedRetries, SubscriptionLanes } from './local-delivery';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from './simulator/simulator';

export const LOCAL_TABLE = 'watchpost';

export interface LocalRuntimeOptions {
  env: Env;
  logger: Logger;
  print?: (line: string) => void;
  now?: () => Date;
  /** How ticks are scheduled; tests pass their own to drive ticks by hand. */
  every?: typeof runEvery;
}

export interface LocalRuntime {
  store: WatchStore;
  /** Base URL of the watch API. */
  apiUrl: string;
  api: ApiDeps;
  publisher: JsonlPublisher;
  dynamoEndpoint: string;
  /** Present when no upstream credentials are configured. */
  simulator: UpstreamSimulator | undefined;
  eventsFile: string;
  /** Seconds between ticks, as configured or the default for the mode (15 in the demo, else 60). */
  pollIntervalSeconds: number;
  pollOnce(): Promise<PollSummary>;
  close(): Promise<void>;
}

/**
 * Everything `npm start` runs, on one machine: an embedded DynamoDB protocol
 * server persisted under the data directory, the same poll use case as the
 * Lambda on a timer, and an in-process publisher in place of SNS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  // Whatever has started is stopped again if a later step fails: a failed
  // start leaves no port held and no timer running.
  const started: Array<() => Promise<void>> = [];
  try {
    return await start(options, started);
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

async function start(options: LocalRuntimeOptions, started: Array<() => Promise<void>>): Promise<LocalRuntime> {
  const { env, logger } = options;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const dataDir = resolve(env.WATCHPOST_DATA_DIR);
  const releaseDataDir = await claimDataDir(dataDir);
  started.push(releaseDataDir);

  const dynamoPath = join(dataDir, 'dynamodb');
  await checkEmbeddedDatabase(dynamoPath);
  const dynamoServer = dynalite({ path: dynamoPath, createTableMs: 0 });
  await listenOn(dynamoServer, 0, '127.0.0.1', 'the embedded DynamoDB');
  started.push(() => new Promise<void>((done) => dynamoServer.close(() => done())));
  const dynamoEndpoint = `http://127.0.0.1:${(dynamoServer.address() as AddressInfo).port}`;
  const dynamoClient = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  started.push(async () => dynamoClient.destroy());
  try {
    await ensureTable(dynamoClient, LOCAL_TABLE);
  } catch (error) {
    throw new StartupError(
      `The embedded database in ${dynamoPath} could not be opened (${error instanceof Error ? error.message : String(error)}): move that directory away to start fresh (its watches are lost).`,
      { cause: error },
    );
  }
  const store = new WatchStore({ client: dynamoClient, tableName: LOCAL_TABLE });
  const pollStore = new DynamoPollStore({ client: dynamoClient, tableName: LOCAL_TABLE, scanSegments: env.WATCHPOST_SCAN_SEGMENTS });
  const teams = new TeamStore(dynamoClient, LOCAL_TABLE);

  let credentials = credentialsFromEnv(env);
  let settings = upstreamSettings(env, credentials);
  let simulator: UpstreamSimulator | undefined;
  let stepTimer: NodeJS.Timeout | undefined;
  let stepAfterTick = async (): Promise<void> => undefined;
  let saveSimulator = async (): Promise<void> => undefined;
  if (!hasAnyCredentials(credentials)) {
    // The demo world persists with the watches, so a restart does not look like resources going backwards.
    const stateFile = join(dataDir, 'simulator-state.json');
    const state = await readStateFile<Parameters<UpstreamSimulator['importState']>[0]>(stateFile, {}, 'delete it to reset the demo resources');
    const running = await startSimulator({ port: env.WATCHPOST_SIMULATOR_PORT });
    started.push(() => running.close());
    simulator = running;
    running.importState(state);
    saveSimulator = () => writeFile(stateFile, JSON.stringify(running.exportState()), { encoding: 'utf8', mode: 0o600 });
    credentials = { adaptionApiKey: SIMULATOR_DEFAULTS.adaptionApiKey, deepOpinion: { ...SIMULATOR_DEFAULTS.deepOpinion } };
    settings = {
      ...upstreamSettings(env, credentials),
      adaption: { baseUrl: simulator.url, apiKey: credentials.adaptionApiKey },
      deepOpinion: { baseUrl: simulator.url, credentials: credentials.deepOpinion },
    };
    const seeded = await seedDemo(simulator, store, teams, now(), join(dataDir, 'demo-team-token'));
    // Steps wait until a poll has seen the current state, so every step is its own event.
    const step = env.WATCHPOST_SIMULATOR_STEP_SECONDS;
    if (step === undefined) {
      stepAfterTick = async () => {
        running.advance(undefined, { observedOnly: true });
        await saveSimulator();
      };
    } else if (step > 0) {
      stepTimer = setInterval(() => {
        running.advance(undefined, { observedOnly: true });
        void saveSimulator();
      }, step * 1000);
      started.push(async () => clearInterval(stepTimer));
    }
    const pace = step === undefined ? 'after every poll' : step > 0 ? `every ${step} s once polled` : 'only when told (POST /_sim/advance)';
    print(
      `No upstream credentials set: using the built-in simulator at ${simulator.url} with demo watches` +
        `${seeded > 0 ? ` (${seeded} registered)` : ''}; resources move one step ${pace}, so a dataset runs to its grade, a correction session to FINISHED and a training run through its iterations to its outcome within two minutes.`,
    );
    print(
      `Demo team token: ${join(dataDir, 'demo-team-token')} — e.g. curl -s ${env.WATCHPOST_PORT ? `http://127.0.0.1:${env.WATCHPOST_PORT}` : '<the API URL below>'}/v1/watches -H "authorization: Bearer $(cat ${join(dataDir, 'demo-team-token')})"`,
    );
  } else {
    // Say what can be watched, and what to set for what cannot.
    for (const [id, { name, settings: names }] of Object.entries(PROVIDERS) as Array<[ProviderId, (typeof PROVIDERS)[ProviderId]]>) {
      const types = RESOURCE_TYPE_NAMES.filter((type) => providerOf(type) === id);
      print(providerConfigured(credentials, id) ? `${name}: configured (${types.join(', ')} watches are polled)` : `${name}: not configured — set ${names} to watch a ${types.join(' or ')}`);
    }
  }

  const fetcher = UpstreamFetcher.create(settings, logger);
  const eventsFile = join(dataDir, 'events.jsonl');
  const publisher = new JsonlPublisher(eventsFile, print);
  const sweeps = sweepPolicy(env);
  const deps = { store: pollStore, fetcher, publisher, logger, policy: pollPolicy(env), sweeps: sweeps && { lister: fetcher, state: pollStore, policy: sweeps } };

  // Delivery runs in-process: every published event is fanned out at once,
  // and stored retries are picked up by a loop (so they survive a restart).
  const subscriptions = new SubscriptionStore(dynamoClient, LOCAL_TABLE);
  const deliveries = new DeliveryStore(dynamoClient, LOCAL_TABLE);
  const lanes = new SubscriptionLanes(logger);
  const secrets = await LocalSecretBox.fromKeyFile(join(dataDir, 'secret-key'));
  // Signs pagination cursors; a new key only makes open cursors start over.
  const cursorKey = await readOrCreateKeyFile(join(dataDir, 'cursor-key'), 'delete it (open pagination cursors start over)');
  const mail = new MailLogSender(join(dataDir, 'mail.log'), print);
  const delivery = new DeliveryService({
    subscriptions,
    deliveries,
    post: (url, body, headers) =>
      safePostJson(url, body, headers, { timeoutMs: env.WATCHPOST_DELIVERY_TIMEOUT_MS, allowLoopback: env.WATCHPOST_ALLOW_PRIVATE_WEBHOOKS }),
    retries: storedRetries,
    deadLetters: new JsonlDeadLetters(join(dataDir, 'dead-letters.jsonl')),
    channels: [...CHANNELS],
    email: mail,
    notices: new MailLogNotices(subscriptions, mail),
    disableAfterMs: env.WATCHPOST_DISABLE_AFTER_FAILING_HOURS * 3_600_000,
    links: linkTemplates(env),
    logger,
    now,
    lanes,
    secrets,
    leaseMs: env.WATCHPOST_DELIVERY_TIMEOUT_MS + 5_000,
  });
  // A publish is done once every delivery it owes is recorded: only then is the
  // outbox cleared, so a kill at any moment loses none (a record never tried is
  // sent by the retry loop after the restart). The attempts themselves are
  // started, not awaited: the poll tick goes on while receivers answer.
  publisher.onPublish(async (events) => {
    const subscriptionsOf = delivery.subscriptionsPerTeam();
    const attempts = await Promise.all(events.map((event) => delivery.recordDeliveries(event, subscriptionsOf)));
    for (const start of attempts) void lanes.track(start());
  });
  const stopRetries = startRetryLoop(delivery, deliveries, lanes, now, logger);
  started.push(stopRetries);

  const api: ApiDeps = {
    watches: store,
    teams,
    subscriptions,
    deliveries,
    delivery,
    emails: localEmailSubscriptions,
    testableChannels: [...CHANNELS],
    fetcher,
    upstreamDeadlineMs: env.WATCHPOST_API_UPSTREAM_DEADLINE_MS,
    upstreamConfigured: async (type) => upstreamConfigured(credentials, type),
    credentialsHint: 'in the environment of npm start, then restarts it',
    secrets,
    cursors: new CursorSigner(async () => cursorKey),
    logger,
    adminToken: async () => adminToken,
    limits: { watchesPerTeam: env.WATCHPOST_MAX_WATCHES_PER_TEAM, subscriptionsPerTeam: env.WATCHPOST_MAX_SUBSCRIPTIONS_PER_TEAM },
    quota: TeamQuota.forTable(dynamoClient, LOCAL_TABLE),
    allowPrivateWebhooks: env.WATCHPOST_ALLOW_PRIVATE_WEBHOOKS,
    privateWebhooksHint: env.WATCHPOST_ALLOW_PRIVATE_WEBHOOKS ? undefined : 'a receiver on this machine needs WATCHPOST_ALLOW_PRIVATE_WEBHOOKS=1 in the environment of npm start (and a restart)',
    // Built on its first request (esbuild, a few hundred milliseconds), not at every start.
    consoleAssets: onceLazily(buildConsoleAssets),
    now,
  };
  const adminToken = env.WATCHPOST_ADMIN_TOKEN ?? (await localAdminToken(join(dataDir, 'admin-token')));
  const apiServer = await startApiServer(api, env.WATCHPOST_PORT);
  started.push(() => apiServer.close());
  print(
    `Watch API on ${apiServer.url} (OpenAPI: ${apiServer.url}/v1/openapi.json); admin token: ` +
      (env.WATCHPOST_ADMIN_TOKEN ? 'WATCHPOST_ADMIN_TOKEN' : `in ${join(dataDir, 'admin-token')}`),
  );
  print(`Console on ${apiServer.url}/console/ (sign in with a team token${simulator ? `, e.g. the demo team's in ${join(dataDir, 'demo-team-token')}` : ''})`);

  let polling: Promise<PollSummary> | undefined;
  const pollOnce = () => {
    // Never two ticks at once, as the Lambda's reserved concurrency ensures in AWS.
    // The deadline keeps a tick inside its interval, so the next one starts on time.
    polling ??= pollWatches(deps, now(), { signal: AbortSignal.timeout(tickDeadlineMs(env, undefined, intervalSeconds)), resume: true }).finally(() => {
      polling = undefined;
    });
    return polling;
  };

  const intervalSeconds = pollIntervalSeconds(env, simulator !== undefined);
  const every = options.every ?? runEvery;
  const stopTicking = every(intervalSeconds * 1000, async () => {
    try {
      const summary = await pollOnce();
      await stepAfterTick();
      if (summary.failed > 0 || summary.changed > 0 || summary.baselines > 0 || summary.cutOff) logger.info('poll tick', { ...summary });
    } catch (error) {
      logger.error('poll tick failed', { error: error instanceof Error ? error.message : String(error) });
    }
  });

  return {
    store,
    apiUrl: apiServer.url,
    api,
    publisher,
    dynamoEndpoint,
    simulator,
    eventsFile,
    pollIntervalSeconds: intervalSeconds,
    pollOnce,
    async close() {
      stopTicking();
      clearInterval(stepTimer);
      await polling?.catch(() => undefined);
      await stopRetries();
      await lanes.idle();
      await apiServer.close();
      await saveSimulator();
      await simulator?.close();
      dynamoClient.destroy();
      await new Promise<void>((done) => dynamoServer.close(() => done()));
      await releaseDataDir();
    },
  };
}

/**
 * Without WATCHPOST_ADMIN_TOKEN, a random operator token is made once and
 * kept in the data directory (readable by the owner only), never printed.
 */
async function localAdminToken(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const token = newTeamToken().replace(/^wpt_/, 'wpa_');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** One build, started on first use and shared by every later call. */
function onceLazily<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
}
