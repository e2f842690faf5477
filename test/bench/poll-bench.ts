/**
 * `npm run bench`: poll ticks against the simulator (real HTTP, injected
 * latency) and the embedded DynamoDB, on a simulated clock, for a scenario of
 * watched datasets, correction sessions and AutoScientist runs (among an
 * account's finished ones) of which a share changes every
 * minute. Runs it with one GET per watch and with sweeps (list endpoints),
 * and prints per mode: upstream requests per tick by endpoint and per minute,
 * their ratio to one GET per watch, tick time and its lower bound, DynamoDB
 * and SNS calls, CPU-ms per watch, peak RSS, events against changes, and
 * change → publish latency. JSON on stdout, then a table; progress on stderr.
 */
import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';
import { WatchStore } from '../../lambdas/adapters/dynamo/watch-store';
import { SnsPublisher } from '../../lambdas/adapters/sns/sns-publisher';
import { UpstreamFetcher } from '../../lambdas/adapters/upstream/upstream-fetcher';
import { forEachBounded } from '../../lambdas/domain/concurrency';
import type { WatchEvent } from '../../lambdas/domain/events';
import { newSweepIndex, pollWatches, type PollDeps } from '../../lambdas/domain/poll-watches';
import { resourceSubject, type ResourceRef } from '../../lambdas/domain/resource';
import { createWatch } from '../../lambdas/domain/watch';
import { consoleLogger } from '../../lambdas/local/console-logger';
import { SIMULATOR_DEFAULTS, startSimulator, type UpstreamSimulator } from '../../lambdas/local/simulator/simulator';
import { localDynamoClient, startLocalDynamo, type LocalDynamo } from '../support/dynamo';
import { BENCH_USAGE, parseBenchArgs, type BenchOptions } from './bench-args';

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
const options = parsed.options;
/** Progress goes to stderr, so stdout stays the JSON and the table. */
const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const DYNAMO_WRITES = ['PutItem', 'UpdateItem', 'BatchWriteItem', 'DeleteItem'];
const SESSION_STEPS = ['SAMPLING', 'PREDICTING', 'ANNOTATING'];

interface ModeFigures {
  mode: 'single' | 'sweeps';
  segments: number;
  watches: number;
  ticks: number;
  upstreamPerTick: Record<string, number>;
  upstreamPerMinute: number;
  ratioToOneGetPerWatch: number;
  tickSeconds: { mean: number; max: number };
  lowerBoundSeconds: { mean: number };
  /** Time with a Scan of the poll index in flight. */
  scanSeconds: { mean: number };
  /** Tick time over (lower bound + Scan time). */
  tickToBound: number;
  dynamoPerTick: Record<string, number>;
  dynamoWritesPerTick: number;
  /** Estimated from the bytes read (4 KB units; Scans eventually consistent). */
  dynamoReadUnitsPerMinute: number;
  snsCallsPerTick: number;
  cpuMsPerWatch: number;
  peakRssMb: number;
  changes: number;
  events: number;
  changeToPublishSeconds: { p50: number; p95: number };
}

/** A small deterministic generator, so two modes see the same changes. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resources(o: BenchOptions): ResourceRef[] {
  const datasets = Array.from({ length: o.datasets }, (_, i): ResourceRef => ({ type: 'dataset', datasetId: `ds_bench_${String(i).padStart(6, '0')}` }));
  const sessions = Array.from(
    { length: o.sessions },
    (_, i): ResourceRef => ({ type: 'correction_session', projectId: (i % o.projects) + 1, correctionId: Math.floor(i / o.projects) + 1 }),
  );
  const runs = Array.from({ length: o.runs }, (_, i): ResourceRef => ({ type: 'autoscientist_run', runId: runIdOf(i) }));
  return [...datasets, ...sessions, ...runs];
}

const runIdOf = (i: number) => `as_bench_${String(i).padStart(6, '0')}`;
const subjectOf = resourceSubject;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function runMode(mode: 'single' | 'sweeps', dynamo: LocalDynamo, simulator: UpstreamSimulator): Promise<ModeFigures> {
  const o = options;
  simulator.datasets.clear();
  simulator.corrections.clear();
  simulator.runs.clear();
  simulator.setLatency(0);
  const tableName = await dynamo.newTable();
  const client = localDynamoClient(dynamo.endpoint);
  const dynamoCalls = new Map<string, number>();
  // Time with at least one Scan in flight: the index read's share of a tick.
  let scansInFlight = 0;
  let scanSince = 0;
  let scanMs = 0;
  // Read units as DynamoDB would bill them: a Scan page is eventually consistent (half a unit per 4 KB), a GetItem here consistent.
  let readUnits = 0;
  const unitsOf = (op: string, output: { Items?: unknown[]; Item?: unknown }) => {
    if (op === 'Scan') return Math.ceil(JSON.stringify(output.Items ?? []).length / 4096) / 2;
    if (op === 'GetItem') return Math.max(1, Math.ceil(JSON.stringify(output.Item ?? {}).length / 4096));
    return 0;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName).replace(/Command$/, '');
      dynamoCalls.set(op, (dynamoCalls.get(op) ?? 0) + 1);
      const scan = op === 'Scan';
      if (scan && scansInFlight++ === 0) scanSince = performance.now();
      try {
        const result = await next(args);
        readUnits += unitsOf(op, result.output as { Items?: unknown[]; Item?: unknown });
        return result;
      } finally {
        if (scan && --scansInFlight === 0) scanMs += performance.now() - scanSince;
      }
    },
    { step: 'initialize', name: 'countCalls' },
  );

  // When each changed resource changed (simulated clock) and when its event was published.
  const changedAt = new Map<string, number>();
  const latencies: number[] = [];
  let tickSimStart = 0;
  let tickRealStart = 0;
  let events = 0;
  const snsClient = new SNSClient({ region: 'local' });
  const sns = mockClient(snsClient);
  sns.on(PublishBatchCommand).callsFake((input: { PublishBatchRequestEntries: PublishBatchRequestEntry[] }) => {
    const publishedAt = tickSimStart + (performance.now() - tickRealStart);
    for (const entry of input.PublishBatchRequestEntries) {
      const event = JSON.parse(JSON.parse(entry.Message as string).default) as WatchEvent;
      const at = changedAt.get(event.subject);
      if (at !== undefined) latencies.push((publishedAt - at) / 1000);
      changedAt.delete(event.subject);
      events += 1;
    }
    return { Successful: input.PublishBatchRequestEntries.map((e) => ({ Id: e.Id })), Failed: [] };
  });

  const logger = consoleLogger('warn');
  const fetcher = UpstreamFetcher.create(
    {
      adaption: { baseUrl: simulator.url, apiKey: SIMULATOR_DEFAULTS.adaptionApiKey },
      deepOpinion: { baseUrl: simulator.url, credentials: { ...SIMULATOR_DEFAULTS.deepOpinion } },
      retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 5_000, timeoutMs: 10_000 },
    },
    logger,
  );
  // One poller per segment, each with its share of the index and its own sweep mark, as the fan-out runs them.
  const segmentDeps: PollDeps[] = Array.from({ length: o.segments }, (_, index) => {
    const pollStore = new DynamoPollStore({ client, tableName, scanSegments: 4, share: o.segments > 1 ? { index, of: o.segments } : undefined });
    return {
      store: pollStore,
      fetcher,
      publisher: new SnsPublisher(snsClient, 'arn:aws:sns:local:000000000000:bench'),
      logger,
      policy: { concurrency: o.concurrency, failureThreshold: 5, heartbeatSeconds: 3600 },
      sweeps: mode === 'sweeps' ? { lister: fetcher, state: pollStore, policy: { fullRefreshSeconds: 3600, overlapSeconds: 120 } } : undefined,
    };
  });

  const all = resources(o);
  progress(`${mode}: setting up ${all.length} watches (${o.datasets} datasets, ${o.sessions} sessions in ${o.projects} projects, ${o.runs} runs among ${o.accountRuns} in the account)…`);
  // Datasets last moved at times spread over the past 30 days, as a real account's are; one in ten
  // waits for input (pending on its single GET, so each of its fetches also asks GET …/status).
  const spread = prng(7);
  let datasetNumber = 0;
  for (const r of all) {
    if (r.type === 'dataset') simulator.putDataset(r.datasetId, { status: datasetNumber++ % 10 === 0 ? 'awaiting_input' : 'running', updated_at: new Date(Date.now() - 3600_000 - spread() * 30 * 86_400_000).toISOString() });
    else if (r.type === 'correction_session') simulator.putCorrection(r.projectId, r.correctionId, { status: 'SAMPLING' });
  }
  // The account's runs, a minute apart: the watched (running) ones spread evenly among finished unwatched ones, so the
  // oldest watched run sits near the end of the list, as it would after a while (the walk's worst case).
  const stride = o.runs > 0 ? o.accountRuns / o.runs : 0;
  const watchedAt = new Set(Array.from({ length: o.runs }, (_, i) => Math.floor(i * stride + stride - 1)));
  for (let position = 0, watched = 0; position < o.accountRuns; position++) {
    const createdAt = new Date(Date.parse('2026-11-01T00:00:00Z') + position * 60_000).toISOString();
    if (watchedAt.has(position)) simulator.putRun(runIdOf(watched++), { status: 'running', created_at: createdAt, iterations_completed: 1, max_iterations: 1000, best_win_rate: 0.5 });
    else simulator.putRun(`as_bench_done_${position}`, { status: 'succeeded', created_at: createdAt, iterations_completed: 5, max_iterations: 5, best_win_rate: 0.8 });
  }
  const start = Date.parse('2026-11-24T12:00:00Z');
  const store = new WatchStore({ client, tableName });
  await forEachBounded(all, 32, (resource) =>
    store.putWatch(
      createWatch({ watchId: `w_${subjectOf(resource).replaceAll('/', '_')}`, team: 'bench', resource, notifyOn: resource.type === 'autoscientist_run' ? ['status', 'winRate'] : undefined }, new Date(start)),
    ),
  );

  progress(`${mode}: baseline tick (first snapshots; not reported)…`);
  await Promise.all(segmentDeps.map((deps) => pollWatches(deps, new Date(start))));
  simulator.setLatency(o.latencyMs);

  const random = prng(42);
  const ticks = Math.max(1, Math.round((o.minutes * 60) / o.sweepSeconds));
  const perTick = { upstream: new Map<string, number>(), dynamo: new Map<string, number>(), sns: 0, seconds: [] as number[], bounds: [] as number[], scanSeconds: [] as number[], cpuMs: 0 };
  let changes = 0;
  // Sweeps more often than the one-minute schedule run as one invocation a minute: one Scan, then re-reads.
  const sweepsPerInvocation = mode === 'sweeps' && o.sweepSeconds < 60 ? Math.floor(60 / o.sweepSeconds) : 1;
  let indexes = segmentDeps.map(() => newSweepIndex());
  readUnits = 0;
  for (let tick = 1; tick <= ticks; tick++) {
    const tickAt = start + tick * o.sweepSeconds * 1000;
    if ((tick - 1) % sweepsPerInvocation === 0) indexes = segmentDeps.map(() => newSweepIndex());
    // Changes spread over the interval before this tick; each resource at most once per interval.
    const count = Math.round(all.length * o.changeRate * (o.sweepSeconds / 60));
    const chosen = new Set<number>();
    while (chosen.size < Math.min(count, all.length)) chosen.add(Math.floor(random() * all.length));
    for (const index of chosen) {
      const r = all[index] as ResourceRef;
      if (r.type === 'dataset') {
        const current = simulator.datasets.get(r.datasetId)?.status;
        simulator.putDataset(r.datasetId, { status: current === 'running' ? 'succeeded' : 'running' });
      } else if (r.type === 'autoscientist_run') {
        // Another iteration, a better win rate: a winRate change the watch asked for.
        const current = simulator.runs.get(r.runId);
        const done = Number(current?.iterations_completed ?? 1);
        simulator.putRun(r.runId, { iterations_completed: done + 1, best_win_rate: Math.round((0.5 + done / 2000) * 10_000) / 10_000 });
      } else {
        const current = simulator.corrections.get(`${r.projectId}/${r.correctionId}`)?.status ?? 'SAMPLING';
        simulator.putCorrection(r.projectId, r.correctionId, { status: SESSION_STEPS[(SESSION_STEPS.indexOf(current) + 1) % SESSION_STEPS.length] });
      }
      changedAt.set(subjectOf(r), tickAt - random() * o.sweepSeconds * 1000);
      changes += 1;
    }

    dynamoCalls.clear();
    scanMs = 0;
    simulator.resetStats();
    sns.resetHistory();
    tickSimStart = tickAt;
    tickRealStart = performance.now();
    const cpu = process.cpuUsage();
    const summaries = await Promise.all(segmentDeps.map((deps, segment) => pollWatches(deps, new Date(tickAt), { index: sweepsPerInvocation > 1 ? indexes[segment] : undefined })));
    const eventsPublished = summaries.reduce((sum, s) => sum + s.eventsPublished, 0);
    const seconds = (performance.now() - tickRealStart) / 1000;
    const used = process.cpuUsage(cpu);
    perTick.cpuMs += (used.user + used.system) / 1000;
    perTick.seconds.push(seconds);
    const byEndpoint = simulator.getStats().byEndpoint;
    for (const [endpoint, n] of Object.entries(byEndpoint)) perTick.upstream.set(endpoint, (perTick.upstream.get(endpoint) ?? 0) + n);
    for (const [op, n] of dynamoCalls) perTick.dynamo.set(op, (perTick.dynamo.get(op) ?? 0) + n);
    perTick.sns += sns.commandCalls(PublishBatchCommand).length;
    // Dataset list pages run one after another, and the GETs they call for after them.
    const requests = Object.values(byEndpoint).reduce((a, b) => a + b, 0);
    // Segments run side by side: each walks its own list pages, and together they have segments × C requests in flight.
    const listPages = Math.max(...summaries.map((s) => Math.max(s.requests.datasetList, s.requests.runList)));
    const inFlight = o.concurrency * o.segments;
    const bound = Math.max(listPages + Math.ceil((byEndpoint.dataset ?? 0) / inFlight), Math.ceil(requests / inFlight)) * (o.latencyMs / 1000);
    perTick.bounds.push(bound);
    perTick.scanSeconds.push(scanMs / 1000);
    progress(`${mode}: tick ${tick}/${ticks}: ${requests} upstream requests, ${round(seconds)} s, ${eventsPublished} events`);
  }

  const totalUpstream = [...perTick.upstream.values()].reduce((a, b) => a + b, 0);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const perTickOf = (map: Map<string, number>) => Object.fromEntries([...map].sort().map(([key, n]) => [key, round(n / ticks)]));
  const meanSeconds = mean(perTick.seconds);
  const meanBound = mean(perTick.bounds);
  const meanScan = mean(perTick.scanSeconds);
  sns.restore();
  client.destroy();
  return {
    mode,
    segments: o.segments,
    watches: all.length,
    ticks,
    upstreamPerTick: perTickOf(perTick.upstream),
    upstreamPerMinute: round(totalUpstream / o.minutes),
    ratioToOneGetPerWatch: round(totalUpstream / ticks / all.length),
    tickSeconds: { mean: round(meanSeconds), max: round(Math.max(...perTick.seconds)) },
    lowerBoundSeconds: { mean: round(meanBound) },
    scanSeconds: { mean: round(meanScan) },
    tickToBound: meanBound + meanScan > 0 ? round(meanSeconds / (meanBound + meanScan)) : 0,
    dynamoPerTick: perTickOf(perTick.dynamo),
    dynamoReadUnitsPerMinute: round(readUnits / o.minutes),
    dynamoWritesPerTick: round(DYNAMO_WRITES.reduce((sum, op) => sum + (perTick.dynamo.get(op) ?? 0), 0) / ticks),
    snsCallsPerTick: round(perTick.sns / ticks),
    cpuMsPerWatch: round(perTick.cpuMs / ticks / all.length),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    changes,
    events,
    changeToPublishSeconds: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
  };
}

async function main(): Promise<void> {
  const [dynamo, simulator] = await Promise.all([startLocalDynamo(), startSimulator()]);
  const results: ModeFigures[] = [];
  for (const mode of options.modes) results.push(await runMode(mode, dynamo, simulator));
  console.log(JSON.stringify({ benchmark: 'poll-ticks', options, results }, null, 2));
  console.table(
    results.map((r) => ({
      mode: r.mode,
      segments: r.segments,
      watches: r.watches,
      'upstream/tick': Object.entries(r.upstreamPerTick).map(([k, n]) => `${k}:${n}`).join(' '),
      'upstream/min': r.upstreamPerMinute,
      'vs 1 GET/watch': r.ratioToOneGetPerWatch,
      'tick s': r.tickSeconds.mean,
      'bound s': r.lowerBoundSeconds.mean,
      'scan s': r.scanSeconds.mean,
      'tick/(bound+scan)': r.tickToBound,
      'dynamo/tick': Object.entries(r.dynamoPerTick).map(([k, n]) => `${k}:${n}`).join(' '),
      'read units/min': r.dynamoReadUnitsPerMinute,
      'sns/tick': r.snsCallsPerTick,
      'cpu ms/watch': r.cpuMsPerWatch,
      'events/changes': `${r.events}/${r.changes}`,
      'latency p50/p95 s': `${r.changeToPublishSeconds.p50}/${r.changeToPublishSeconds.p95}`,
    })),
  );
  await Promise.all([simulator.close(), dynamo.close()]);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
