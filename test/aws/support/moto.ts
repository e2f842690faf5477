import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The one line `npm run test:aws` prints where moto's server is missing. */
export const MOTO_MISSING = 'moto_server was not found on PATH: install it with pip install "moto[server]"';

export function motoInstalled(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

export interface Moto {
  /** http://127.0.0.1:<port>, for AWS_ENDPOINT_URL. */
  endpoint: string;
  stop(): Promise<void>;
}

/** A free port on 127.0.0.1 (taken by the OS, then released for moto to bind). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts moto's server (every AWS service in one process) on a free port of
 * 127.0.0.1 and waits until it answers. Another process may take the port
 * between our check and moto's bind: then it is tried again on another one.
 */
export async function startMoto(attempts = 3): Promise<Moto> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = await freePort();
    const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilAnswering(endpoint, child, () => stderr);
      return { endpoint, stop: () => stop(child) };
    } catch (error) {
      lastError = error;
      await stop(child);
    }
  }
  throw lastError;
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, stderr: () => string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms: ${stderr()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
