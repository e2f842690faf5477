import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '../../lambdas/config';
import type { WatchEvent } from '../../lambdas/domain/events';
import { startLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { captureLogger } from '../support/logger';

async function readEvents(file: string): Promise<WatchEvent[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as WatchEvent);
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local runtime (npm start)', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  const printed: string[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-'));
    printed.length = 0;
  });
  afterEach(async () => {
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startLocalRuntime({
      env: loadEnv({ WATCHPOST_DATA_DIR: dataDir, WATCHPOST_POLL_INTERVAL_SECONDS: '1', WATCHPOST_SIMULATOR_STEP_SECONDS: '0', WATCHPOST_PORT: '0', WATCHPOST_SIMULATOR_PORT: '0' }),
      logger: captureLogger(),
      print: (line) => printed.push(line),
    });

  it('runs the simulator with demo watches and writes their transitions as events', async () => {
    runtime = await start();
    await runtime.pollOnce();

    runtime.simulator?.advance();
    const events = await eventually(async () => {
      const found = await readEvents(runtime!.eventsFile);
      return found.length >= 2 ? found : undefined;
    });

    expect(printed[0]).toMatch(/^No upstream credentials set: using the built-in simulator/);
    expect(events.map((e) => `${e.subject} ${e.data.changes[0]?.from}→${e.data.changes[0]?.to}`).sort()).toEqual([
      'datasets/ds_demo_1 pending→running',
      'projects/1/corrections/1 CREATED→SAMPLING',
    ]);
    expect(printed.some((line) => line.includes('[event]') && line.includes('dataset ds_demo_1: pending → running'))).toBe(true);
  });

  it('keeps watches and snapshots in the data directory across a restart', async () => {
    runtime = await start();
    await runtime.pollOnce();
    await runtime.close();

    runtime = await start();
    const watch = await runtime.store.getWatch('demo-dataset');

    expect(watch?.snapshot?.status).toBe('pending');
    expect(printed.filter((line) => line.includes('(2 registered)'))).toHaveLength(1);
  });
});
