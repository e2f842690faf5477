import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDataDir, StartupError } from '../../lambdas/local/startup';
import { eventually } from '../support/local-runtime';

const RUNNING = 'Watchpost is running locally';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'watchpost-lock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** `npm start`'s entry point as its own process; resolves once it prints `until` or exits. */
function startMain(command: string, dataDir: string) {
  const child = spawn('sh', ['-c', command], {
    env: { ...process.env, WATCHPOST_DATA_DIR: dataDir, WATCHPOST_PORT: '0', WATCHPOST_SIMULATOR_PORT: '0', WATCHPOST_SIMULATOR_STEP_SECONDS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Promise.race([eventually(() => (output.stdout.includes(RUNNING) ? true : undefined), 60_000), exited.then(() => false)]);
  return { child, output, started, exited };
}

const entryPoint = `"${process.execPath}" --import tsx lambdas/local/main.ts`;

/** The state letter Linux reports for a process (R, S, Z…), or undefined once it is gone. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

describe.skipIf(process.platform !== 'linux')('the data-directory lock after kill -9', () => {
  it('lets npm start restart at once although the killed process is not yet reaped (a zombie)', async () => {
    const dataDir = join(root, 'killed');
    // The runtime runs under a parent that never reaps it (`exec sleep`), so
    // after kill -9 it stays a zombie: what a supervisor that has not yet
    // called wait() leaves behind.
    const first = startMain(`${entryPoint} & exec sleep 600`, dataDir);
    try {
      expect(await first.started).toBe(true);
      const holder = Number((await readFile(join(dataDir, 'lock'), 'utf8')).split(/\s/)[0]);
      process.kill(holder, 'SIGKILL');
      await eventually(async () => ((await processState(holder)) === 'Z' ? true : undefined));

      const second = startMain(`exec ${entryPoint}`, dataDir);
      const started = await second.started;
      second.child.kill('SIGINT');
      await second.exited;

      expect(second.output.stderr).not.toContain('watchpost: ');
      expect(started).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // Two runtimes start one after the other: slow on a loaded machine.
  }, 120_000);
});

describe.skipIf(process.platform !== 'linux')('claimDataDir', () => {
  it('takes over a lock whose process id now belongs to another process (started at another time)', async () => {
    const dataDir = join(root, 'reused-pid');
    await claimDataDir(dataDir).then((release) => release());
    // The parent of this test is alive, but it is not the process that wrote this lock.
    await writeFile(join(dataDir, 'lock'), `${process.ppid} 1\n`);

    const release = await claimDataDir(dataDir);
    const lock = await readFile(join(dataDir, 'lock'), 'utf8');
    await release();

    expect(lock.split(/\s/)[0]).toBe(String(process.pid));
  });

  it.each([
    ['with its start time', async () => `${process.ppid} ${await startTimeOf(process.ppid)}\n`],
    ['by an older Watchpost (its process id alone)', async () => `${process.ppid}\n`],
  ])('refuses a lock held by a live process, written %s, naming the process', async (_, lockOfParent) => {
    const dataDir = join(root, `held-${_.length}`);
    await claimDataDir(dataDir).then((release) => release());
    // This test's parent is alive: the lock is as it would have written it.
    await writeFile(join(dataDir, 'lock'), await lockOfParent());

    const refused = await claimDataDir(dataDir).catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(StartupError);
    expect((refused as Error).message).toBe(
      `The data directory ${dataDir} is in use by process ${process.ppid} (another npm start?): stop it, or set WATCHPOST_DATA_DIR to another directory.`,
    );
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = join(root, 'gone');
    await claimDataDir(dataDir).then((release) => release());
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(join(dataDir, 'lock'), `${gone.pid}\n`);

    const release = await claimDataDir(dataDir);
    const lock = await readFile(join(dataDir, 'lock'), 'utf8');
    await release();

    expect(lock).toBe(`${process.pid} ${await startTimeOf(process.pid)}\n`);
  });
});

async function startTimeOf(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}
