/**
 * `npm run test:crash`: every transition once, under kill -9, on the sweep
 * path (issue #22's outside run, kept in the suite).
 *
 * The upstream simulator runs here, in the published list shapes; `npm
 * start`'s own entry point (lambdas/local/main.ts) runs as a child process
 * against it, with the sweep path on, 600 watches (300 datasets across list
 * pages, 200 correction sessions in 10 projects; team-b watches 100 of them
 * too) and one webhook subscription per team, each to a receiver on
 * 127.0.0.1 that verifies every signature. The child is killed with SIGKILL
 * again and again (a share of the kills within 300 ms after a poll starts)
 * and restarted on the same data directory, while the upstream moves random
 * resources on. A resource moves only once every watch of it has been told
 * its current state, so each move is a transition Watchpost must deliver.
 * Then a settle: nothing moves, the child runs until all is delivered.
 *
 * It prints lost, invented, ids shared by two transitions, watches stuck or
 * behind, and published events never delivered; each must be 0 (exit 1
 * otherwise). Options: CRASH_KILLS (default 30), CRASH_SEED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { newTeamToken, sha256Hex } from '../../lambdas/api/auth';
import { loadEnv } from '../../lambdas/config';
import { forEachBounded } from '../../lambdas/domain/concurrency';
import type { WatchEvent } from '../../lambdas/domain/events';
import type { ResourceRef } from '../../lambdas/domain/resource';
import { createWatch, watchIdFor } from '../../lambdas/domain/watch';
import { startLocalRuntime } from '../../lambdas/local/runtime';
import { SIMULATOR_DEFAULTS, startSimulator } from '../../lambdas/local/simulator/simulator';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const KILLS = Number(process.env.CRASH_KILLS ?? 30);
let seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
const SEED = seed;
/** A small deterministic generator, so a failing run can be repeated with CRASH_SEED. */
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const DATASET_CYCLE = ['pending', 'running', 'succeeded', 'pending', 'running', 'failed'] as const;
const SESSION_CYCLE = ['CREATED', 'STARTED', 'SAMPLING', 'PREDICTING', 'ANNOTATING', 'STARTED'] as const;
const TEAMS = ['team-a', 'team-b'] as const;
const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stdout.write(`[crash ${elapsed()}] ${line}\n`);

interface Tracked {
  key: string;
  resource: ResourceRef;
  teams: string[];
  /** Position in its cycle; the status is the cycle's entry there. */
  step: number;
  run: number;
}

const resources: Tracked[] = [];
for (let n = 1; n <= 300; n++) resources.push({ key: `datasets/ds_${n}`, resource: { type: 'dataset', datasetId: `ds_${n}` }, teams: n <= 50 ? [...TEAMS] : ['team-a'], step: 0, run: 1 });
for (let p = 1; p <= 10; p++) {
  for (let c = 1; c <= 20; c++) {
    resources.push({ key: `projects/${p}/corrections/${c}`, resource: { type: 'correction_session', projectId: p, correctionId: c }, teams: c <= 5 ? [...TEAMS] : ['team-a'], step: 0, run: 1 });
  }
}
const statusOf = (r: Tracked) => (r.resource.type === 'dataset' ? DATASET_CYCLE : SESSION_CYCLE)[r.step % 6]!;

/** Every transition each watch must deliver, in order: `from → to`. */
const expected = new Map<string, string[]>();
const watchesOf = (r: Tracked) => r.teams.map((team) => watchIdFor(team, r.resource));

function applyToSimulator(simulator: Awaited<ReturnType<typeof startSimulator>>, r: Tracked): void {
  const status = statusOf(r);
  if (r.resource.type === 'dataset') simulator.putDataset(r.resource.datasetId, { status, run_id: `run_${r.run}`, name: r.key });
  else if (r.resource.type === 'correction_session') simulator.putCorrection(r.resource.projectId, r.resource.correctionId, { status, name: r.key });
}

/** A Standard Webhooks receiver on 127.0.0.1 that keeps only what verifies. */
async function startVerifyingReceiver() {
  let webhook: Webhook | undefined;
  const events: WatchEvent[] = [];
  let rejected = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        events.push(webhook!.verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) as WatchEvent);
        res.writeHead(204).end();
      } catch {
        rejected += 1;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    events,
    rejected: () => rejected,
    useSecret(secret: string) {
      webhook = new Webhook(secret);
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'watchpost-crash-'));
  const simulator = await startSimulator({ port: 0 });
  const receivers = { 'team-a': await startVerifyingReceiver(), 'team-b': await startVerifyingReceiver() };
  const env: Record<string, string> = {
    WATCHPOST_DATA_DIR: dataDir,
    WATCHPOST_PORT: '0',
    WATCHPOST_SIMULATOR_PORT: '0',
    WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1',
    WATCHPOST_SWEEPS: '1',
    WATCHPOST_POLL_INTERVAL_SECONDS: '2',
    // A tick here (600 watches, on a loaded machine) can take longer than the interval: let it finish rather than cut it off.
    WATCHPOST_TICK_DEADLINE_SECONDS: '20',
    ADAPTION_BASE_URL: simulator.url,
    ADAPTION_API_KEY: SIMULATOR_DEFAULTS.adaptionApiKey,
    DEEPOPINION_BASE_URL: simulator.url,
    DEEPOPINION_EMAIL: SIMULATOR_DEFAULTS.deepOpinion.email,
    DEEPOPINION_PASSWORD: SIMULATOR_DEFAULTS.deepOpinion.password,
  };
  for (const r of resources) {
    applyToSimulator(simulator, r);
    for (const watchId of watchesOf(r)) expected.set(watchId, []);
  }

  // Set-up, in-process: teams, their subscriptions, the watches and their baselines.
  log(`seed ${SEED}; registering ${expected.size} watches of ${resources.length} resources for ${TEAMS.length} teams`);
  {
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const runtime = await startLocalRuntime({ env: loadEnv({ ...env, WATCHPOST_POLL_INTERVAL_SECONDS: '3600' }), logger: quiet, print: () => undefined });
    for (const team of TEAMS) {
      const token = newTeamToken();
      await runtime.api.teams.createTeam({ id: team, name: team, createdAt: new Date().toISOString() }, sha256Hex(token));
      const response = await fetch(`${runtime.apiUrl}/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'webhook', url: receivers[team].url }),
      });
      if (response.status !== 201) throw new Error(`subscription for ${team}: ${response.status} ${await response.text()}`);
      receivers[team].useSecret(((await response.json()) as { secret: string }).secret);
    }
    const registrations = resources.flatMap((r) => r.teams.map((team) => createWatch({ watchId: watchIdFor(team, r.resource), team, resource: r.resource, notifyOn: ['status'] }, new Date())));
    await forEachBounded(registrations, 16, (watch) => runtime.store.registerWatch(watch).then(() => undefined));
    await runtime.pollOnce();
    await runtime.pollOnce();
    await runtime.close();
  }

  /** The last status each watch has told its team, by the highest sequence delivered. */
  const told = () => {
    const last = new Map<string, { sequence: number; status: string }>();
    for (const receiver of Object.values(receivers)) {
      for (const event of receiver.events) {
        const to = event.data.changes.find((c) => c.field === 'status')?.to;
        const seen = last.get(event.data.watchId);
        if (typeof to === 'string' && (!seen || Number(event.sequence) > seen.sequence)) last.set(event.data.watchId, { sequence: Number(event.sequence), status: to });
      }
    }
    return last;
  };
  /** Whether every watch of `r` has been told its current state (the baseline counts for the first). */
  const settled = (r: Tracked, last: Map<string, { status: string }>) =>
    watchesOf(r).every((watchId) => (expected.get(watchId)!.length === 0 ? true : last.get(watchId)?.status === statusOf(r)));

  let moves = 0;
  const moveSome = () => {
    const last = told();
    const ready = resources.filter((r) => settled(r, last));
    for (let n = 0; n < 25 && ready.length > 0; n++) {
      const r = ready.splice(Math.floor(random() * ready.length), 1)[0]!;
      const from = statusOf(r);
      r.step += 1;
      if (r.resource.type === 'dataset' && r.step % 3 === 0) r.run += 1;
      applyToSimulator(simulator, r);
      for (const watchId of watchesOf(r)) expected.get(watchId)!.push(`${from} → ${statusOf(r)}`);
      moves += 1;
    }
  };

  const startChild = async (): Promise<ChildProcess> => {
    for (let attempt = 1; ; attempt++) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'lambdas/local/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const outcome = await new Promise<'ready' | 'exited'>((resolve) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('Watchpost is running locally')) resolve('ready');
        });
        child.once('exit', () => resolve('exited'));
      });
      if (outcome === 'ready') return child;
      // A restart just after a kill can find the lock still held (a process not yet reaped): try again.
      if (attempt >= 20 || !stderr.includes('in use')) throw new Error(`npm start did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const kill = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const mover = setInterval(moveSome, 400);
  let afterPollStart = 0;
  for (let k = 1; k <= KILLS; k++) {
    const child = await startChild();
    if (random() < 0.5) {
      // Just after a poll starts: its first upstream request is the sign.
      const before = simulator.getStats().upstreamRequests;
      const deadline = Date.now() + 5_000;
      while (simulator.getStats().upstreamRequests === before && Date.now() < deadline) await sleep(5);
      await sleep(random() * 300);
      afterPollStart += 1;
    } else {
      await sleep(300 + random() * 3_500);
    }
    await kill(child);
    if (k % 5 === 0) log(`${k} kills (${afterPollStart} just after a poll started), ${moves} moves`);
  }
  clearInterval(mover);

  // Settle: nothing moves; the child runs until every watch has told its current state.
  log('settling');
  const child = await startChild();
  const settleDeadline = Date.now() + 90_000;
  while (Date.now() < settleDeadline && !resources.every((r) => settled(r, told()))) await sleep(500);
  await sleep(2_000); // anything still in flight (a retry, a duplicate) lands too
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));

  // The figures.
  const published = (await readFile(join(dataDir, 'events.jsonl'), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WatchEvent);
  const delivered = Object.values(receivers).flatMap((r) => r.events);
  const describeTransition = (e: WatchEvent) => JSON.stringify([e.data.watchId, e.sequence, e.type, e.data.changes]);
  const byId = new Map<string, Set<string>>();
  for (const event of [...published, ...delivered]) byId.set(event.id, (byId.get(event.id) ?? new Set()).add(describeTransition(event)));
  const sharedIds = [...byId.values()].filter((transitions) => transitions.size > 1).length;

  let lost = 0;
  let invented = 0;
  const unique = new Map(delivered.map((e) => [e.id, e]));
  const deliveredByWatch = new Map<string, string[]>();
  for (const event of [...unique.values()].sort((a, b) => Number(a.sequence) - Number(b.sequence))) {
    const change = event.data.changes.find((c) => c.field === 'status');
    if (!change) continue;
    deliveredByWatch.set(event.data.watchId, [...(deliveredByWatch.get(event.data.watchId) ?? []), `${change.from} → ${change.to}`]);
  }
  for (const [watchId, wanted] of expected) {
    const got = [...(deliveredByWatch.get(watchId) ?? [])];
    for (const transition of wanted) {
      const at = got.indexOf(transition);
      if (at === -1) lost += 1;
      else got.splice(at, 1);
    }
    invented += got.length;
  }
  for (const watchId of deliveredByWatch.keys()) if (!expected.has(watchId)) invented += 1;
  const last = told();
  const behind = resources.flatMap((r) => watchesOf(r).filter((watchId) => expected.get(watchId)!.length > 0 && last.get(watchId)?.status !== statusOf(r))).length;
  const deliveredIds = new Set(delivered.map((e) => `${e.data.team} ${e.id}`));
  const undelivered = new Set(published.filter((e) => !deliveredIds.has(`${e.data.team} ${e.id}`)).map((e) => e.id)).size;
  const transitions = [...expected.values()].reduce((sum, list) => sum + list.length, 0);
  const rejected = Object.values(receivers).reduce((sum, r) => sum + r.rejected(), 0);
  const types = new Map<string, number>();
  for (const event of unique.values()) types.set(event.type, (types.get(event.type) ?? 0) + 1);

  console.log(
    [
      `crash run (seed ${SEED}): ${expected.size} watches, ${resources.length} resources, ${KILLS} kills with SIGKILL (${afterPollStart} within 300 ms after a poll started), ${elapsed()}`,
      `  transitions made upstream: ${transitions}; delivered events: ${delivered.length} (${unique.size} distinct ids); published: ${published.length}`,
      `  distinct ids delivered by type: ${[...types].map(([type, count]) => `${type} ${count}`).join(', ')}`,
      `  lost: ${lost}`,
      `  invented: ${invented}`,
      `  ids shared by two transitions: ${sharedIds}`,
      `  watches stuck or behind after the settle: ${behind}`,
      `  published events never delivered: ${undelivered}`,
      `  deliveries failing verification: ${rejected}`,
    ].join('\n'),
  );
  await Promise.all(Object.values(receivers).map((r) => r.close()));
  await simulator.close();
  await rm(dataDir, { recursive: true, force: true });
  return lost + invented + sharedIds + behind + undelivered + rejected === 0 && transitions > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
