import { parseArgs } from 'node:util';

export const BENCH_USAGE = `usage: npm run bench -- [--watches N] [--latency MS] [--concurrency C]

  --watches N      watches polled per tick, 1 to 100000 (BENCH_WATCHES, default 1000)
  --latency MS     latency the simulator adds to each upstream answer, 0 to 10000 (BENCH_LATENCY_MS, default 50)
  --concurrency C  upstream requests in flight, 1 to 256 (WATCHPOST_POLL_CONCURRENCY, default 16)
  --help           this text`;

export interface BenchOptions {
  watches: number;
  latencyMs: number;
  concurrency: number;
}

/** The benchmark's options from flags and environment, every bad value named at once. */
export function parseBenchArgs(argv: string[], env: Record<string, string | undefined>): { options: BenchOptions } | { help: true } | { errors: string[] } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { watches: { type: 'string' }, latency: { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    return { errors: [error instanceof Error ? error.message : String(error)] };
  }
  if (values.help) return { help: true };
  const errors: string[] = [];
  const whole = (flag: string, raw: string | boolean | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      errors.push(`--${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return value;
  };
  const options = {
    watches: whole('watches', values.watches ?? env.BENCH_WATCHES, 1000, 1, 100_000),
    latencyMs: whole('latency', values.latency ?? env.BENCH_LATENCY_MS, 50, 0, 10_000),
    concurrency: whole('concurrency', values.concurrency ?? env.WATCHPOST_POLL_CONCURRENCY, 16, 1, 256),
  };
  return errors.length > 0 ? { errors } : { options };
}
