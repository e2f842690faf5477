import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '../../lambdas/config';
import type { WatchEvent } from '../../lambdas/domain/events';
import { startLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { captureLogger } from '../support/logger';

/**
 * The demo as a new user meets it: `npm start` with nothing set but free
 * ports and a data directory, ticks at their default interval on an injected
 * clock (the test fires each tick itself), for the first two minutes.
 */
describe('the npm start demo at its default settings', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-demo-'));
  });
  afterEach(async () => {
    await runtime?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function runDemo(seconds: number, options: { env?: Record<string, string>; beforeTick?: (index: number) => void } = {}) {
    let clock = Date.parse('2026-11-24T09:00:00Z');
    let scheduled: { intervalMs: number; tick: () => Promise<void> } | undefined;
    const printed: string[] = [];
    runtime = await startLocalRuntime({
      env: loadEnv({ WATCHPOST_DATA_DIR: dataDir, WATCHPOST_PORT: '0', WATCHPOST_SIMULATOR_PORT: '0', ...options.env }),
      logger: captureLogger(),
      print: (line) => printed.push(line),
      now: () => new Date(clock),
      every: (intervalMs, tick) => {
        scheduled = { intervalMs, tick };
        return () => undefined;
      },
    });
    const { intervalMs, tick } = scheduled!;
    for (let index = 0; index * intervalMs <= seconds * 1000; index++) {
      options.beforeTick?.(index);
      await tick();
      clock += intervalMs;
    }
    const events = (await readFile(runtime.eventsFile, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as WatchEvent);
    const story = (subject: string) =>
      events.filter((e) => e.subject === subject).map((e) => e.data.changes.map((c) => `${c.field} ${c.from ?? 'null'}→${c.to ?? 'null'}`).join(', '));
    return { intervalMs, printed, story };
  }

  it('tells the whole story within two minutes, each transition as its own event', async () => {
    const { intervalMs, printed, story } = await runDemo(120);

    expect(intervalMs).toBe(15_000);
    expect(story('datasets/ds_demo_1')).toEqual([
      'status pending→running',
      'status running→succeeded, grade null→B',
      'status succeeded→pending',
      'status pending→running',
      'status running→failed',
      'status failed→pending',
    ]);
    expect(story('projects/1/corrections/1')).toEqual([
      'status CREATED→SAMPLING',
      'status SAMPLING→PREDICTING',
      'status PREDICTING→ANNOTATING',
      'status ANNOTATING→FINISHED',
    ]);
    expect(story('autoscientist/as_run_demo_1')).toEqual([
      'status pending→running',
      'winRate null→0.61',
      'winRate 0.61→0.71',
      'winRate 0.71→0.82',
      'status running→succeeded',
    ]);
    expect(printed.find((line) => line.startsWith('No upstream credentials set'))).toContain('one step after every poll');
  });

  it('loses no step when a poll misses a resource: it moves on only after a poll has seen it', async () => {
    // The second and third polls of the session fail; without the gate it would move on unseen and skip a status.
    const { story } = await runDemo(120, {
      env: { WATCHPOST_UPSTREAM_MAX_ATTEMPTS: '1' },
      beforeTick: (index) => {
        if (index === 2) runtime!.simulator!.addFault({ path: '/projects/1/corrections/1', status: 500, times: 2 });
      },
    });

    // Ungated, the two missed ticks would have moved it twice unseen: SAMPLING→FINISHED in one event.
    expect(story('projects/1/corrections/1')).toEqual([
      'status CREATED→SAMPLING',
      'status SAMPLING→PREDICTING',
      'status PREDICTING→ANNOTATING',
      'status ANNOTATING→FINISHED',
    ]);
  });
});
