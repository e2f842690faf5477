import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * The hand-written contract fixtures (see fixtures/README.md): bodies and a
 * closed JSON Schema per upstream endpoint, written from upstream-apis.md and
 * the seed pages, never from Watchpost's clients or simulator.
 */
const ROOT = new URL('./fixtures/', import.meta.url);

export type Endpoint =
  | 'adaption/dataset-list'
  | 'adaption/dataset-get'
  | 'adaption/dataset-status'
  | 'adaption/dataset-evaluation'
  | 'adaption/autoscientist-get'
  | 'adaption/autoscientist-list'
  | 'deepopinion/correction-get'
  | 'deepopinion/correction-list'
  | 'deepopinion/login';

export const ENDPOINTS: readonly Endpoint[] = [
  'adaption/dataset-list',
  'adaption/dataset-get',
  'adaption/dataset-status',
  'adaption/dataset-evaluation',
  'adaption/autoscientist-get',
  'adaption/autoscientist-list',
  'deepopinion/correction-get',
  'deepopinion/correction-list',
  'deepopinion/login',
];

/** The fixture files of an endpoint, by name (`documented`, `nulls`...), schema excluded. */
export function fixtures(endpoint: Endpoint): Map<string, unknown> {
  const folder = new URL(`${endpoint}/`, ROOT);
  const names = readdirSync(folder).filter((file) => file.endsWith('.json') && file !== 'schema.json').sort();
  return new Map(names.map((file) => [file.replace(/\.json$/, ''), JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as unknown]));
}

export function fixture<T = Record<string, unknown>>(endpoint: Endpoint, name: string): T {
  const body = fixtures(endpoint).get(name);
  if (body === undefined) throw new Error(`no fixture ${endpoint}/${name}.json`);
  return structuredClone(body) as T;
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: its default export arrives as the module or under `default`, by loader.
const formatsPlugin = (addFormats as unknown as { default?: typeof addFormats }).default ?? addFormats;
formatsPlugin(ajv);
for (const endpoint of ENDPOINTS) ajv.addSchema(JSON.parse(readFileSync(new URL(`${endpoint}/schema.json`, ROOT), 'utf8')) as object);

/** Validates a body against the endpoint's closed published shape; returns the problems (empty when it conforms). */
export function contractProblems(endpoint: Endpoint, body: unknown): string[] {
  const validate = ajv.getSchema(`https://contracts.watchpost.test/${endpoint}/schema.json`) as ValidateFunction | undefined;
  if (!validate) throw new Error(`no schema for ${endpoint}`);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''}${error.params && 'additionalProperty' in error.params ? ` "${String(error.params.additionalProperty)}"` : ''}`);
}

/** An upstream on 127.0.0.1 that answers each path (query ignored) with a fixed status and body; counts requests by path. */
export interface FixtureServer {
  url: string;
  answer(path: string, body: unknown, status?: number): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const routes = new Map<string, { status: number; body: unknown }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    requests.push(`${url.pathname}${url.search}`);
    const route = routes.get(url.pathname) ?? { status: 404, body: { message: 'no such fixture route' } };
    res.writeHead(route.status, { 'content-type': 'application/json' }).end(JSON.stringify(route.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (path, body, status = 200) => {
      routes.set(path, { status, body });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
