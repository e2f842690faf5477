import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartupError } from '../../lambdas/local/startup';
import { startTestRuntime } from '../support/local-runtime';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s entry point as its own process, as a user would, until it exits or prints `until`. */
function runMain(env: Record<string, string>, until?: string): Promise<Run & { stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lambdas/local/main.ts'], {
    env: { ...process.env, WATCHPOST_PORT: '0', WATCHPOST_SIMULATOR_PORT: '0', WATCHPOST_SIMULATOR_STEP_SECONDS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { code: null, stdout: '', stderr: '' };
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((run.code = code), resolve())));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
  };
  return new Promise((resolve) => {
    const check = () => {
      if (until && run.stdout.includes(until)) resolve({ ...run, stop });
    };
    child.stdout.on('data', (chunk: Buffer) => ((run.stdout += chunk.toString()), check()));
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    void exited.then(() => resolve({ ...run, stop }));
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

let root: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'watchpost-startup-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  await rm(root, { recursive: true, force: true });
});

describe.concurrent('npm start refuses bad local state with one line and a non-zero exit', () => {
  it('names a damaged simulator-state.json', async () => {
    const dataDir = join(root, 'corrupt-state');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'simulator-state.json'), '{"datasets": [');

    const run = await runMain({ WATCHPOST_DATA_DIR: dataDir });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^watchpost: .*simulator-state\.json is damaged .*delete it/)]);
  });

  it('names a damaged embedded database directory', async () => {
    const dataDir = join(root, 'corrupt-db');
    await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
    await writeFile(join(dataDir, 'format'), '2\n');
    for (const file of ['CURRENT', 'MANIFEST-000002', '000003.log']) await writeFile(join(dataDir, 'dynamodb', file), 'not a database');

    const run = await runMain({ WATCHPOST_DATA_DIR: dataDir });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^watchpost: The embedded database in .*dynamodb could not be opened .*move that directory away/)]);
  });

  it.each([['WATCHPOST_PORT'], ['WATCHPOST_SIMULATOR_PORT']])('names a busy port and %s', async (setting) => {
    const run = await runMain({ WATCHPOST_DATA_DIR: join(root, `busy-${setting}`), [setting]: String(busyPort) });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringContaining(`Port ${busyPort} on 127.0.0.1 is already in use (${setting})`)]);
  });

  it('refuses a second npm start on a data directory in use, naming the directory and the process', async () => {
    const dataDir = join(root, 'in-use');
    const first = await runMain({ WATCHPOST_DATA_DIR: dataDir }, 'Watchpost is running locally');

    const second = await runMain({ WATCHPOST_DATA_DIR: dataDir });
    await first.stop();

    expect(second.code).toBe(1);
    expect(lines(second.stderr)).toEqual([expect.stringMatching(new RegExp(`^watchpost: The data directory ${dataDir} is in use by process \\d+`))]);
  });

  it('refuses a data directory written by an older Watchpost', async () => {
    const dataDir = join(root, 'older');
    await mkdir(join(dataDir, 'dynamodb'), { recursive: true });
    await writeFile(join(dataDir, 'dynamodb', 'CURRENT'), 'MANIFEST-000002\n');

    const run = await runMain({ WATCHPOST_DATA_DIR: dataDir });

    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringContaining('was written by an older Watchpost')]);
  });
});

describe('the local runtime’s own state', () => {
  it('leaves nothing held after a failed start: the same data directory starts at once afterwards', async () => {
    const dataDir = join(root, 'retry');

    const failed = await startTestRuntime({ dataDir, env: { WATCHPOST_PORT: String(busyPort) } }).catch((error: unknown) => error);
    const { runtime } = await startTestRuntime({ dataDir });
    await runtime.close();

    expect(failed).toBeInstanceOf(StartupError);
  });

  it('keeps the data directory private: 0700, and 0600 for what it writes', async () => {
    const dataDir = join(root, 'private');
    const { runtime } = await startTestRuntime({ dataDir });
    await runtime.pollOnce();
    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    await runtime.close();

    const modes = Object.fromEntries(
      await Promise.all(
        (await readdir(dataDir, { withFileTypes: true })).filter((entry) => entry.isFile()).map(async (entry) => [entry.name, (await stat(join(dataDir, entry.name))).mode & 0o777]),
      ),
    );

    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(Object.keys(modes)).toEqual(expect.arrayContaining(['admin-token', 'demo-team-token', 'events.jsonl', 'simulator-state.json', 'format', 'cursor-key', 'secret-key']));
    expect(Object.values(modes).every((mode) => mode === 0o600)).toBe(true);
  });
});
