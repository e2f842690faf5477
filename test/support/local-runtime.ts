import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from '../../lambdas/config';
import { startLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { captureLogger } from './logger';

/**
 * The npm start runtime for a test: its own data directory, free ports, no
 * automatic simulator steps, and a poll interval long enough that only the
 * test's own pollOnce() calls (and the first tick) poll.
 */
export async function startTestRuntime(options: { dataDir?: string; env?: Record<string, string>; now?: () => Date; print?: (line: string) => void } = {}) {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'watchpost-')));
  const logger = captureLogger();
  const runtime: LocalRuntime = await startLocalRuntime({
    env: loadEnv({
      WATCHPOST_DATA_DIR: dataDir,
      WATCHPOST_PORT: '0',
      WATCHPOST_SIMULATOR_PORT: '0',
      WATCHPOST_POLL_INTERVAL_SECONDS: '3600',
      WATCHPOST_SIMULATOR_STEP_SECONDS: '0',
      ...options.env,
    }),
    logger,
    print: options.print ?? (() => undefined),
    ...(options.now ? { now: options.now } : {}),
  });
  return { runtime, dataDir, logger, removeDataDir: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Polls `probe` until it returns a value (or the deadline passes). */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
