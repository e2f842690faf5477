/**
 * `npm run bench`: how long one poll tick takes for N watches against the
 * simulator with injected latency, and what it costs in upstream, DynamoDB and
 * SNS calls. Prints JSON, then a table. Options (flags or environment):
 *   --watches N      (BENCH_WATCHES, default 1000)
 *   --latency MS     (BENCH_LATENCY_MS, default 50)
 *   --concurrency C  (WATCHPOST_POLL_CONCURRENCY, default 16)
 */
import { BENCH_USAGE, parseBenchArgs } from './bench-args';
import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { SnsPublisher } from '../../lambdas/adapters/sns/sns-publisher';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { forEachBounded } from '../../lambdas/domain/concurrency';
import { pollWatches, type PollSummary } from '../../lambdas/domain/poll-watches';
import { createWatch } from '../../lambdas/domain/watch';
import { consoleLogger } from '../../lambdas/local/console-logger';
import { SIMULATOR_DEFAULTS, startSimulator } from '../../lambdas/local/simulator/simulator';
import { localDynamoClient, startLocalDynamo } from '../support/dynamo';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const parsed = parseBenchArgs(process.argv.slice(2), process.env);
if ('help' in parsed) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
if ('errors' in parsed) {
  for (const error of parsed.errors) console.error(`bench: ${error}`);
  console.error(BENCH_USAGE);
  process.exit(2);
}
const { watches, latencyMs, concurrency } = parsed.options;
/** Progress goes to stderr, so stdout stays the JSON and the table. */
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

interface TickFigures {
  tick: string;
  watches: number;
  concurrency: number;
  latencyMs: number;
  tickSeconds: number;
  lowerBoundSeconds: number;
  ratio: number;
  upstreamRequests: number;
  dynamoRequests: Record<string, number>;
  dynamoWrites: number;
  snsCalls: number;
  events: number;
}

async function main(): Promise<void> {
  const dynamo = await startLocalDynamo();
  const simulator = await startSimulator();
  const tableName = await dynamo.newTable();
  const client = localDynamoClient(dynamo.endpoint);
  const dynamoCalls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      dynamoCalls.set(op, (dynamoCalls.get(op) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  const snsClient = new SNSClient({ region: 'local' });
  const sns = mockClient(snsClient);
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => ({
    Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));

  const store = new WatchStore({ client, tableName });
  const logger = consoleLogger('warn');
  const fetcher = UpstreamFetcher.create(
    {
      adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
      deepOpinion: { baseUrl: simulator.url, credentials: undefined },
      retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 10_000 },
    },
    logger,
  );
  const deps = {
    store: new DynamoPollStore({ client, tableName }),
    fetcher,
    publisher: new SnsPublisher(snsClient, 'arn:aws:sns:local:000000000000:bench'),
    logger,
    policy: { concurrency, failureThreshold: 5, heartbeatSeconds: 3600 },
  };

  progress(`setting up ${watches} watches (latency ${latencyMs} ms, concurrency ${concurrency})…`);
  const ids = Array.from({ length: watches }, (_, i) => `ds_bench_${String(i).padStart(6, '0')}`);
  const setupTime = new Date('2026-11-23T12:00:00Z');
  for (const id of ids) simulator.putDataset(id, { status: 'running' });
  await forEachBounded(ids, 32, (id) =>
    store.putWatch(createWatch({ watchId: `w_${id}`, team: 'bench', resource: { type: 'dataset', datasetId: id } }, setupTime)),
  );

  let minute = 0;
  const tick = async (name: string): Promise<TickFigures> => {
    dynamoCalls.clear();
    simulator.resetStats();
    sns.resetHistory();
    minute += 1;
    const started = performance.now();
    const summary: PollSummary = await pollWatches(deps, new Date(setupTime.getTime() + minute * 60_000));
    const tickSeconds = (performance.now() - started) / 1000;
    const lowerBoundSeconds = (Math.ceil(watches / concurrency) * latencyMs) / 1000;
    const dynamoRequests = Object.fromEntries([...dynamoCalls].sort());
    return {
      tick: name,
      watches: summary.watches,
      concurrency,
      latencyMs,
      tickSeconds: round(tickSeconds),
      lowerBoundSeconds: round(lowerBoundSeconds),
      ratio: lowerBoundSeconds > 0 ? round(tickSeconds / lowerBoundSeconds) : 0,
      upstreamRequests: simulator.getStats().upstreamRequests,
      dynamoRequests,
      dynamoWrites: ['PutItem', 'UpdateItem', 'BatchWriteItem', 'DeleteItem'].reduce((sum, op) => sum + (dynamoCalls.get(op) ?? 0), 0),
      snsCalls: sns.commandCalls(PublishBatchCommand).length,
      events: summary.eventsPublished,
    };
  };

  progress('baseline tick (records every watch’s first snapshot; not reported)…');
  await tick('baseline');
  simulator.setLatency(latencyMs);
  progress(`tick with no change (lower bound ${round((Math.ceil(watches / concurrency) * latencyMs) / 1000)} s)…`);
  const noChange = await tick('no change');
  for (const id of ids.filter((_, i) => i % 10 === 0)) simulator.putDataset(id, { status: 'succeeded' });
  progress('tick with 10% changed…');
  const tenPercent = await tick('10% changed');

  const results = [noChange, tenPercent];
  console.log(JSON.stringify({ benchmark: 'poll-tick', results }, null, 2));
  console.table(
    results.map((r) => ({
      tick: r.tick,
      N: r.watches,
      concurrency: r.concurrency,
      'latency ms': r.latencyMs,
      'tick s': r.tickSeconds,
      'lower bound s': r.lowerBoundSeconds,
      ratio: r.ratio,
      upstream: r.upstreamRequests,
      'dynamo ops': Object.entries(r.dynamoRequests).map(([op, n]) => `${op}:${n}`).join(' '),
      'dynamo writes': r.dynamoWrites,
      'sns calls': r.snsCalls,
      events: r.events,
    })),
  );

  sns.restore();
  client.destroy();
  await Promise.all([simulator.close(), dynamo.close()]);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
