import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's walkthrough, taken from the README itself (so the two cannot
 * drift), run with bash against a real `npm start`, as a new user would.
 */
async function walkthroughScript(): Promise<string> {
  const readme = await readFile('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### Walkthrough'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('README: no sh block under "### Walkthrough"');
  return block[1];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dataDir: string;
let env: Record<string, string>;
let server: ChildProcess;
let serverOutput = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'watchpost-walkthrough-'));
  env = {
    WATCHPOST_DATA_DIR: dataDir,
    WATCHPOST_PORT: String(await freePort()),
    WATCHPOST_SIMULATOR_PORT: String(await freePort()),
    // Step 4 waits for the next poll; a short interval keeps the test quick.
    WATCHPOST_POLL_INTERVAL_SECONDS: '1',
  };
  // Its own process group, so stopping it stops npm and the node process under it.
  server = spawn('npm', ['start', '--silent'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!serverOutput.includes('Watch API on')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`npm start did not come up:\n${serverOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 40_000);

afterAll(async () => {
  if (server.pid && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('the README walkthrough, against npm start', () => {
  it('goes from a new team to its first event, and does so again when run a second time', async () => {
    const script = await walkthroughScript();

    const first = await run('bash', ['-c', script], env);
    const second = await run('bash', ['-c', script], env);

    for (const result of [first, second]) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      // Step 3: one resource advanced; step 4: the watch's event, for the dataset.
      expect(result.stdout).toContain('{"advanced":1}');
      const events = JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('{"items"')) ?? 'null') as {
        items: Array<{ type: string; subject: string; data: { changes: Array<{ field: string }> } }>;
      };
      expect(events.items.length).toBeGreaterThan(0);
      expect(events.items.every((event) => event.type === 'io.watchpost.resource.changed' && event.subject === 'datasets/ds_demo_1')).toBe(true);
      expect(result.stdout).toMatch(/export API=http:\/\/127\.0\.0\.1:\d+ TOKEN=wpt_\S+ WATCH=w_\S+/);
    }
    // Each run made its own team: two different tokens.
    const tokens = [first, second].map((result) => /TOKEN=(\S+)/.exec(result.stdout)?.[1]);
    expect(new Set(tokens).size).toBe(2);
  }, 60_000);

  it('stops at the first failing step and says where, instead of going on with an empty token', async () => {
    const script = await walkthroughScript();
    const wrongDir = await mkdtemp(join(tmpdir(), 'watchpost-walkthrough-wrong-'));
    await writeFile(join(wrongDir, 'admin-token'), 'wpa_not_the_admin_token\n');

    const result = await run('bash', ['-c', script], { ...env, WATCHPOST_DATA_DIR: wrongDir });
    await rm(wrongDir, { recursive: true, force: true });

    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/The requested URL returned error: 401[\s\S]*walkthrough: stopped at line \d+/);
    expect(result.stdout).not.toContain('export API=');
  }, 30_000);
});
