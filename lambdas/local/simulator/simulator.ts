import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn } from '../startup';
import {
  advanceCorrection,
  advanceDataset,
  evaluationView,
  listEntryView,
  newCorrection,
  newDataset,
  singleGetView,
  statusView,
  type CorrectionRecord,
  type DatasetRecord,
} from './lifecycle';
import { advanceRun, newRun, type RunEnding, type RunRecord } from './run-lifecycle';

/**
 * A local stand-in for both upstream APIs, served over real HTTP, for
 * `npm start`, the tests and the benchmark. Besides the documented routes it
 * has a control API under `/_sim` to set state, advance lifecycles and inject
 * faults (see README).
 */
export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** Added to every upstream (not control) response. */
  latencyMs?: number;
  adaptionApiKey?: string;
  deepOpinion?: { email: string; password: string; staticToken?: string };
  /** Lifetime of tokens from `POST /auth/login`. */
  tokenTtlSeconds?: number;
  now?: () => number;
}

export interface Fault {
  /** Applies to upstream requests whose path starts with this. */
  path: string;
  status?: number;
  delayMs?: number;
  retryAfter?: string;
  /** `empty`: a list answers in its shape but with no entries (a page that lags behind the resources). */
  body?: 'malformed' | 'wrong-type' | 'empty';
  drop?: boolean;
  /**
   * Pads the resource's `name` so the body is about this many bytes, streamed
   * in chunks (the simulator never holds it whole). With `declareLength`, the
   * response carries a Content-Length; otherwise it is chunked.
   */
  bodyBytes?: number;
  declareLength?: boolean;
  /** How many requests it applies to; unlimited when absent. */
  times?: number;
  /** Applies to this exact path only (e.g. a list, not the resources under it). */
  exact?: boolean;
}

function endpointOf(path: string): string {
  if (path === '/auth/login') return 'login';
  if (path === '/api/v1/datasets') return 'datasetList';
  if (/^\/api\/v1\/datasets\/[^/]+$/.test(path)) return 'dataset';
  if (/^\/api\/v1\/datasets\/[^/]+\/status$/.test(path)) return 'datasetStatus';
  if (/^\/api\/v1\/datasets\/[^/]+\/evaluation$/.test(path)) return 'datasetEvaluation';
  if (path === '/api/v1/autoscientist') return 'runList';
  if (/^\/api\/v1\/autoscientist\/[^/]+$/.test(path)) return 'run';
  if (/^\/projects\/\d+\/corrections$/.test(path)) return 'correctionList';
  if (/^\/projects\/\d+\/corrections\/\d+$/.test(path)) return 'correction';
  return 'other';
}

const datasetKey = (datasetId: string) => `datasets/${datasetId}`;
const correctionKey = (projectId: number, correctionId: number) => `projects/${projectId}/corrections/${correctionId}`;
const runKey = (runId: string) => `autoscientist/${runId}`;

export const SIMULATOR_DEFAULTS = {
  adaptionApiKey: 'pt_live_simulator',
  deepOpinion: { email: 'demo@watchpost.local', password: 'simulator' },
} as const;

export interface SimulatorStats {
  upstreamRequests: number;
  logins: number;
  byStatus: Record<string, number>;
  /** Requests by endpoint: `dataset`, `datasetStatus`, `datasetEvaluation`, `datasetList`, `run`, `runList`, `correction`, `correctionList`, `login`, `other`. */
  byEndpoint: Record<string, number>;
}

export class UpstreamSimulator {
  readonly datasets = new Map<string, DatasetRecord>();
  readonly corrections = new Map<string, CorrectionRecord>();
  readonly runs = new Map<string, RunRecord>();
  /** How each run will end (the simulator's plan; never served). */
  private readonly runEndings = new Map<string, RunEnding>();
  private faults: Fault[] = [];
  /** Resources changed since a GET last served them (keys as in `advance`). */
  private readonly unobserved = new Set<string>();
  private tokens = new Map<string, number>();
  private latencyMs: number;
  private stats: SimulatorStats = { upstreamRequests: 0, logins: 0, byStatus: {}, byEndpoint: {} };
  private readonly server = createServer((req, res) => void this.route(req, res));
  private readonly now: () => number;
  private readonly apiKey: string;
  private readonly deepOpinion: { email: string; password: string; staticToken?: string };

  constructor(private readonly options: SimulatorOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.now = options.now ?? Date.now;
    this.apiKey = options.adaptionApiKey ?? SIMULATOR_DEFAULTS.adaptionApiKey;
    this.deepOpinion = options.deepOpinion ?? { ...SIMULATOR_DEFAULTS.deepOpinion };
    this.server.keepAliveTimeout = 30_000;
  }

  url = '';

  async start(): Promise<this> {
    await listenOn(this.server, this.options.port ?? 0, this.options.host ?? '127.0.0.1', 'WATCHPOST_SIMULATOR_PORT');
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${this.options.host ?? '127.0.0.1'}:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state, for tests and the control API ----

  private nowIso = () => new Date(this.now()).toISOString();

  putDataset(datasetId: string, fields: Record<string, unknown> = {}): DatasetRecord {
    // As the real service would: any change moves updated_at, unless the caller sets it.
    const record = { ...(this.datasets.get(datasetId) ?? newDataset(datasetId, this.nowIso())), updated_at: this.nowIso(), ...fields, dataset_id: datasetId } as DatasetRecord;
    this.datasets.set(datasetId, record);
    this.unobserved.add(datasetKey(datasetId));
    return record;
  }

  putCorrection(projectId: number, correctionId: number, fields: Record<string, unknown> = {}): CorrectionRecord {
    const key = `${projectId}/${correctionId}`;
    const base = this.corrections.get(key) ?? newCorrection(projectId, correctionId, this.nowIso());
    const record = { ...base, ...fields, id: correctionId, project_id: projectId } as CorrectionRecord;
    this.corrections.set(key, record);
    this.unobserved.add(correctionKey(projectId, correctionId));
    return record;
  }

  /** Puts an AutoScientist run; `ending` says how it will end as it is advanced (default: it succeeds). */
  putRun(runId: string, fields: Record<string, unknown> = {}, ending?: RunEnding): RunRecord {
    const record = { ...(this.runs.get(runId) ?? newRun(runId, this.nowIso())), ...fields, id: runId } as RunRecord;
    this.runs.set(runId, record);
    if (ending) this.runEndings.set(runId, ending);
    this.unobserved.add(runKey(runId));
    return record;
  }

  /**
   * Moves every resource (or the one named, e.g. `datasets/ds_1`) one
   * lifecycle step on. With `observedOnly`, a resource moves only once its
   * current state has been served by a GET (or a project's list), so a poller
   * sees every step as its own change however its ticks and the steps line up.
   */
  advance(resource?: string, options: { observedOnly?: boolean } = {}): number {
    let advanced = 0;
    const step = <T>(key: string, record: T, next: (record: T, nowIso: string) => T, store: (record: T) => void) => {
      if (resource && resource !== key) return;
      if (options.observedOnly && this.unobserved.has(key)) return;
      const moved = next(record, this.nowIso());
      if (moved !== record) {
        store(moved);
        this.unobserved.add(key);
      }
      advanced += 1;
    };
    for (const [id, record] of this.datasets) step(datasetKey(id), record, advanceDataset, (moved) => this.datasets.set(id, moved));
    for (const [key, record] of this.corrections) {
      step(correctionKey(record.project_id, record.id), record, advanceCorrection, (moved) => this.corrections.set(key, moved));
    }
    for (const [id, record] of this.runs) {
      step(runKey(id), record, (run, nowIso) => advanceRun(run, nowIso, this.runEndings.get(id)), (moved) => this.runs.set(id, moved));
    }
    return advanced;
  }

  /** Every resource, to persist between runs of the demo. */
  exportState(): { datasets: DatasetRecord[]; corrections: CorrectionRecord[]; runs: RunRecord[] } {
    return { datasets: [...this.datasets.values()], corrections: [...this.corrections.values()], runs: [...this.runs.values()] };
  }

  importState(state: { datasets?: DatasetRecord[]; corrections?: CorrectionRecord[]; runs?: RunRecord[] }): void {
    for (const record of state.runs ?? []) this.putRun(record.id, record);
    // Imported states count as not yet seen: a restarted poller sees each before it moves on.
    for (const record of state.datasets ?? []) this.putDataset(record.dataset_id, record);
    for (const record of state.corrections ?? []) this.putCorrection(record.project_id, record.id, record);
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Invalidates every issued login token, as an upstream expiry would. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  getStats(): SimulatorStats {
    return structuredClone(this.stats);
  }

  resetStats(): void {
    this.stats = { upstreamRequests: 0, logins: 0, byStatus: {}, byEndpoint: {} };
  }

  // ---- HTTP ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    try {
      if (url.pathname.startsWith('/_sim/')) return await this.control(req, res, url);
      await this.upstream(req, res, url);
    } catch (error) {
      send(res, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  }

  private async upstream(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    this.stats.upstreamRequests += 1;
    const endpoint = endpointOf(url.pathname);
    this.stats.byEndpoint[endpoint] = (this.stats.byEndpoint[endpoint] ?? 0) + 1;
    const fault = this.takeFault(url.pathname);
    const delay = this.latencyMs + (fault?.delayMs ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      this.count(fault.status);
      const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
      return send(res, fault.status, { message: 'injected fault' }, headers);
    }
    const result = await this.answer(req, url);
    this.count(result.status);
    if (result.status === 200 && fault?.body === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": "running", "name": ');
      return;
    }
    if (result.status === 200 && fault?.bodyBytes) return streamPadded(res, result.body as Record<string, unknown>, fault.bodyBytes, fault.declareLength ?? false);
    const body =
      result.status === 200 && fault?.body === 'wrong-type'
        ? { ...(result.body as object), status: 42 }
        : result.status === 200 && fault?.body === 'empty'
          ? Object.fromEntries(Object.entries(result.body as object).map(([key, value]) => [key, Array.isArray(value) ? [] : key === 'next_cursor' ? null : value]))
          : result.body;
    send(res, result.status, body);
  }

  private async answer(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
    const path = url.pathname;
    if (req.method === 'POST' && path === '/auth/login') return this.login(await readJson(req));

    const dataset = /^\/api\/v1\/datasets\/([^/]+)(\/status|\/evaluation)?$/.exec(path);
    if (dataset || path === '/api/v1/datasets') {
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) return { status: 401, body: { message: 'invalid API key' } };
      if (!dataset) return { status: 200, body: this.listDatasets(url) };
      const record = this.datasets.get(decodeURIComponent(dataset[1] as string));
      if (!record) return { status: 404, body: { message: 'dataset not found' } };
      if (dataset[2] === '/status') return { status: 200, body: statusView(record) };
      if (dataset[2] === '/evaluation') return { status: 200, body: evaluationView(record) };
      this.unobserved.delete(datasetKey(record.dataset_id));
      return { status: 200, body: singleGetView(record) };
    }

    const run = /^\/api\/v1\/autoscientist\/([^/]+)$/.exec(path);
    if (run || path === '/api/v1/autoscientist') {
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) return { status: 401, body: { message: 'invalid API key' } };
      if (!run) return { status: 200, body: this.listRuns(url) };
      const record = this.runs.get(decodeURIComponent(run[1] as string));
      if (record) this.unobserved.delete(runKey(record.id));
      return record ? { status: 200, body: record } : { status: 404, body: { message: 'run not found' } };
    }

    const correction = /^\/projects\/(\d+)\/corrections(?:\/(\d+))?$/.exec(path);
    if (correction) {
      if (!this.validDeepOpinionToken(req.headers.authorization)) return { status: 401, body: { message: 'User is not authenticated' } };
      const [, projectId, correctionId] = correction;
      if (correctionId === undefined) {
        const status = url.searchParams.get('status');
        const items = [...this.corrections.values()].filter((c) => String(c.project_id) === projectId && (!status || c.status === status));
        for (const item of items) this.unobserved.delete(correctionKey(item.project_id, item.id));
        return { status: 200, body: items };
      }
      const record = this.corrections.get(`${projectId}/${correctionId}`);
      if (record) this.unobserved.delete(correctionKey(record.project_id, record.id));
      return record ? { status: 200, body: record } : { status: 404, body: { message: 'Project or correction session not found.' } };
    }
    return { status: 404, body: { message: 'no such route' } };
  }

  private login(body: unknown): { status: number; body: unknown } {
    const { email, password } = (body ?? {}) as { email?: unknown; password?: unknown };
    if (email !== this.deepOpinion.email || password !== this.deepOpinion.password) {
      return { status: 401, body: { message: 'invalid credentials', status: 'fail' } };
    }
    this.stats.logins += 1;
    const expiresAt = this.now() + (this.options.tokenTtlSeconds ?? 3600) * 1000;
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: email, exp: Math.floor(expiresAt / 1000), jti: randomUUID() })}.sim`;
    this.tokens.set(token, expiresAt);
    return { status: 200, body: { auth_token: token, message: 'Successfully logged in.', status: 'success' } };
  }

  private validDeepOpinionToken(header: string | undefined): boolean {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) return false;
    if (this.deepOpinion.staticToken && token === this.deepOpinion.staticToken) return true;
    const expiresAt = this.tokens.get(token);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  /**
   * `GET /api/v1/datasets`: `sort` (created_at, updated_at, name) and
   * `sort_direction`, `status`, `limit` ≤ 100, and a keyset cursor (the last
   * entry's sort value and id), so a dataset that moves while someone pages
   * is neither skipped nor repeated within its old position.
   */
  private listDatasets(url: URL): unknown {
    const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? 20) || 20, 100));
    const sort = (['created_at', 'updated_at', 'name'] as const).find((field) => field === url.searchParams.get('sort')) ?? 'created_at';
    const direction = url.searchParams.get('sort_direction') === 'desc' ? -1 : 1;
    const status = url.searchParams.get('status');
    const key = (d: DatasetRecord): [string, string] => [String(d[sort] ?? ''), d.dataset_id];
    const compare = (a: [string, string], b: [string, string]) => direction * (a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
    const all = [...this.datasets.values()].filter((d) => !status || d.status === status).sort((a, b) => compare(key(a), key(b)));
    const cursor = url.searchParams.get('cursor');
    const after = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string]) : undefined;
    const rest = after ? all.filter((d) => compare(key(d), after) > 0) : all;
    const page = rest.slice(0, limit);
    const last = page.at(-1);
    return { datasets: page.map(listEntryView), next_cursor: last && rest.length > limit ? Buffer.from(JSON.stringify(key(last))).toString('base64url') : null };
  }

  /**
   * `GET /api/v1/autoscientist`: whole runs, newest `created_at` first,
   * `dataset_id` filter, `limit` ≤ 100, and a keyset cursor (the last
   * entry's created_at and id). Listing counts as serving each run shown.
   */
  private listRuns(url: URL): unknown {
    const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit') ?? 20) || 20, 100));
    const datasetId = url.searchParams.get('dataset_id');
    const key = (r: RunRecord): [string, string] => [String(r.created_at ?? ''), r.id];
    const compare = (a: [string, string], b: [string, string]) => -(a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
    const all = [...this.runs.values()].filter((r) => !datasetId || r.dataset_id === datasetId).sort((a, b) => compare(key(a), key(b)));
    const cursor = url.searchParams.get('cursor');
    const after = cursor ? (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string]) : undefined;
    const rest = after ? all.filter((r) => compare(key(r), after) > 0) : all;
    const page = rest.slice(0, limit);
    for (const record of page) this.unobserved.delete(runKey(record.id));
    const last = page.at(-1);
    return { runs: page, next_cursor: last && rest.length > limit ? Buffer.from(JSON.stringify(key(last))).toString('base64url') : null };
  }

  private takeFault(path: string): Fault | undefined {
    const fault = this.faults.find((f) => (f.exact ? path === f.path : path.startsWith(f.path)));
    if (!fault) return undefined;
    if (fault.times !== undefined && --fault.times <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private count(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  private async control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname.slice('/_sim'.length);
    const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : await readJson(req);
    const fields = (body ?? {}) as Record<string, unknown>;
    const dataset = /^\/datasets\/([^/]+)$/.exec(path);
    const correction = /^\/projects\/(\d+)\/corrections\/(\d+)$/.exec(path);
    const run = /^\/autoscientist\/([^/]+)$/.exec(path);
    if (run && req.method === 'PUT') {
      const { ending, ...runFields } = fields;
      const planned = ending === 'succeeded' || ending === 'failed' || ending === 'cancelled' ? ending : undefined;
      return send(res, 200, this.putRun(decodeURIComponent(run[1] as string), runFields, planned));
    }
    if (run && req.method === 'DELETE') return send(res, this.runs.delete(decodeURIComponent(run[1] as string)) ? 204 : 404);
    if (dataset && req.method === 'PUT') return send(res, 200, this.putDataset(decodeURIComponent(dataset[1] as string), fields));
    if (dataset && req.method === 'DELETE') return send(res, this.datasets.delete(decodeURIComponent(dataset[1] as string)) ? 204 : 404);
    if (correction && req.method === 'PUT') return send(res, 200, this.putCorrection(Number(correction[1]), Number(correction[2]), fields));
    if (correction && req.method === 'DELETE') return send(res, this.corrections.delete(`${correction[1]}/${correction[2]}`) ? 204 : 404);
    if (path === '/advance' && req.method === 'POST') {
      const resource = fields.resource as string | undefined;
      const advanced = this.advance(resource);
      if (resource !== undefined && advanced === 0) return send(res, 404, { message: `no simulated resource ${resource}; give e.g. datasets/ds_1, autoscientist/run_1 or projects/1/corrections/2` });
      return send(res, 200, { advanced });
    }
    if (path === '/faults' && req.method === 'POST') {
      if (typeof fields.path !== 'string') return send(res, 400, { message: 'a fault needs a "path" prefix' });
      this.addFault(fields as unknown as Fault);
      return send(res, 201, { faults: this.faults });
    }
    if (path === '/faults' && req.method === 'DELETE') {
      this.clearFaults();
      return send(res, 204);
    }
    if (path === '/config' && req.method === 'PUT') {
      if (typeof fields.latencyMs === 'number') this.setLatency(fields.latencyMs);
      return send(res, 200, { latencyMs: this.latencyMs });
    }
    if (path === '/revoke-tokens' && req.method === 'POST') {
      this.revokeTokens();
      return send(res, 204);
    }
    if (path === '/stats' && req.method === 'GET') return send(res, 200, this.getStats());
    if (path === '/state' && req.method === 'GET') return send(res, 200, this.exportState());
    send(res, 404, { message: 'no such control route' });
  }
}

/** Writes `record` with its name padded to about `bytes`, a chunk at a time, respecting backpressure. */
async function streamPadded(res: ServerResponse, record: Record<string, unknown>, bytes: number, declareLength: boolean): Promise<void> {
  const [head, tail] = JSON.stringify({ ...record, name: '\u0000' }).split('"\\u0000"') as [string, string];
  const padding = Math.max(0, bytes - head.length - tail.length - 2);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (declareLength) headers['content-length'] = String(head.length + tail.length + 2 + padding);
  res.writeHead(200, headers);
  const chunk = 'x'.repeat(64 * 1024);
  const write = (text: string) => (res.write(text) ? Promise.resolve() : new Promise<void>((resolve) => {
      res.once('drain', resolve);
      res.once('close', resolve);
    }));
  await write(`${head}"`);
  for (let left = padding; left > 0 && !res.destroyed; left -= chunk.length) await write(left >= chunk.length ? chunk : chunk.slice(0, left));
  if (!res.destroyed) res.end(`"${tail}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
  return new UpstreamSimulator(options).start();
}
