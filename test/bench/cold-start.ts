/**
 * `npm run bench:cold-start`: each function's cold start (process start →
 * handler ready: Node 24 started, the bundle imported, its module-scope setup
 * done), with the AWS SDK left out of the bundle (resolved from
 * node_modules, as the runtime's copy would be) and bundled from the
 * lockfile (what deploys). Same esbuild options otherwise, same machine,
 * median of RUNS fresh processes each.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { BUNDLE_FILE, bundleOptions } from '../../lib/constructs/node-function';
import { node24 } from '../support/node24';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 9);
const FUNCTIONS: Record<string, string> = {
  api: 'api/handler.ts',
  authorizer: 'authorizer/handler.ts',
  poller: 'poller/handler.ts',
  'poller-segment': 'poller/segment-handler.ts',
  delivery: 'delivery/handler.ts',
};
// Placeholders for the settings each handler requires at load (no call is made).
const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'cold-start',
  AWS_SECRET_ACCESS_KEY: 'cold-start',
  WATCHPOST_TABLE_NAME: 'Watchpost-Table',
  WATCHPOST_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:Watchpost-Changes',
  WATCHPOST_SECRETS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/0b7a6c3e-8d4f-4e2a-9c1b-5f6e7d8a9b0c',
  WATCHPOST_DELIVERY_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Watchpost-Delivery',
  WATCHPOST_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/Watchpost-DeadLetters',
  WATCHPOST_CURSOR_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Watchpost-Cursor-AbCdEf',
  NODE_OPTIONS: '--enable-source-maps',
};

function coldStart(node: string, file: string): Promise<number> {
  const script = `await import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => { if (typeof m.handler !== 'function') process.exit(3); }); process.stdout.write('ready');`;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, ['--input-type=module', '-e', script], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`${file} exited ${code}: ${stderr}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const node = node24();
// Inside the project, so the external variant finds @aws-sdk/* in node_modules.
const out = join(ROOT, 'node_modules', '.cache', 'cold-start');
rmSync(out, { recursive: true, force: true });
const rows: string[] = [];
for (const [name, entry] of Object.entries(FUNCTIONS)) {
  const cells: string[] = [];
  for (const variant of ['external', 'bundled'] as const) {
    const dir = join(out, variant, name);
    mkdirSync(dir, { recursive: true });
    buildSync({ ...bundleOptions(join(ROOT, 'lambdas', entry), dir), ...(variant === 'external' ? { external: ['@aws-sdk/*'] } : {}) });
    const file = join(dir, BUNDLE_FILE);
    await coldStart(node, file); // warms the file cache, not counted
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await coldStart(node, file));
    cells.push(`${Math.round(median(times))} ms`, `${(statSync(file).size / 1024).toFixed(0)} KB`);
  }
  rows.push(`| ${name} | ${cells.join(' | ')} |`);
}
console.log(`Cold start on Node 24 (process start → handler ready), median of ${RUNS} fresh processes:`);
console.log('| Function | SDK external | bundle | SDK bundled | bundle |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
