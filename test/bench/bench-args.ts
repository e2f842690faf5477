import { parseArgs } from 'node:util';

export const BENCH_USAGE = `usage: npm run bench -- [--datasets N] [--sessions M] [--projects P] [--runs W] [--account-runs A] [--change-rate R] [--sweep-seconds S]
                        [--minutes T] [--latency MS] [--concurrency C] [--segments K] [--mode sweeps|single|both]

  --datasets N       watched datasets, 0 to 100000 (BENCH_DATASETS, default 1000; --watches N is the same)
  --sessions M       watched correction sessions, 0 to 100000 (BENCH_SESSIONS, default 1000)
  --projects P       projects the sessions are spread over, 1 to 10000 (BENCH_PROJECTS, default 10)
  --runs W           watched AutoScientist runs, all running, 0 to 100000 (BENCH_RUNS, default 0)
  --account-runs A   runs in the account, the watched ones spread among finished unwatched ones, W to 1000000
                     (BENCH_ACCOUNT_RUNS, default 10 × W)
  --change-rate R    share of the watched resources that change per minute, 0 to 1 (BENCH_CHANGE_RATE, default 0.01)
  --sweep-seconds S  seconds between ticks on the simulated clock, 1 to 3600 (WATCHPOST_SWEEP_SECONDS, default 60)
  --minutes T        simulated minutes measured after the first (baseline) tick, 1 to 240 (BENCH_MINUTES, default 5)
  --latency MS       latency the simulator adds to each upstream answer, 0 to 10000 (BENCH_LATENCY_MS, default 50)
  --concurrency C    upstream requests in flight, 1 to 256 (WATCHPOST_POLL_CONCURRENCY, default 16)
  --segments K       poller segments a tick fans out to, each with its own share, sweep mark and C requests in flight,
                     run side by side in this process (AWS runs each in its own Lambda), 1 to 32 (default 1)
  --mode M           sweeps (list endpoints), single (one GET per watch) or both (default both)
  --help             this text`;

export interface BenchOptions {
  datasets: number;
  sessions: number;
  projects: number;
  runs: number;
  accountRuns: number;
  changeRate: number;
  sweepSeconds: number;
  minutes: number;
  latencyMs: number;
  concurrency: number;
  segments: number;
  modes: Array<'sweeps' | 'single'>;
}

type Raw = string | boolean | undefined;

/** The benchmark's options from flags and environment, every bad value named at once. */
export function parseBenchArgs(argv: string[], env: Record<string, string | undefined>): { options: BenchOptions } | { help: true } | { errors: string[] } {
  let values: Record<string, Raw>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        datasets: { type: 'string' },
        watches: { type: 'string' },
        sessions: { type: 'string' },
        projects: { type: 'string' },
        runs: { type: 'string' },
        'account-runs': { type: 'string' },
        'change-rate': { type: 'string' },
        'sweep-seconds': { type: 'string' },
        minutes: { type: 'string' },
        latency: { type: 'string' },
        concurrency: { type: 'string' },
        segments: { type: 'string' },
        mode: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { errors: [error instanceof Error ? error.message : String(error)] };
  }
  if (values.help) return { help: true };
  const errors: string[] = [];
  const number = (flag: string, raw: Raw, fallback: number, min: number, max: number, integer = true): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      errors.push(`--${flag} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    }
    return value;
  };
  const mode = values.mode ?? 'both';
  if (mode !== 'sweeps' && mode !== 'single' && mode !== 'both') errors.push(`--mode must be sweeps, single or both (got ${JSON.stringify(mode)})`);
  const options: BenchOptions = {
    datasets: number('datasets', values.datasets ?? values.watches ?? env.BENCH_DATASETS ?? env.BENCH_WATCHES, 1000, 0, 100_000),
    sessions: number('sessions', values.sessions ?? env.BENCH_SESSIONS, 1000, 0, 100_000),
    projects: number('projects', values.projects ?? env.BENCH_PROJECTS, 10, 1, 10_000),
    runs: number('runs', values.runs ?? env.BENCH_RUNS, 0, 0, 100_000),
    accountRuns: 0,
    changeRate: number('change-rate', values['change-rate'] ?? env.BENCH_CHANGE_RATE, 0.01, 0, 1, false),
    sweepSeconds: number('sweep-seconds', values['sweep-seconds'] ?? env.WATCHPOST_SWEEP_SECONDS, 60, 1, 3600),
    minutes: number('minutes', values.minutes ?? env.BENCH_MINUTES, 5, 1, 240),
    latencyMs: number('latency', values.latency ?? env.BENCH_LATENCY_MS, 50, 0, 10_000),
    concurrency: number('concurrency', values.concurrency ?? env.WATCHPOST_POLL_CONCURRENCY, 16, 1, 256),
    segments: number('segments', values.segments ?? env.WATCHPOST_POLL_SEGMENTS, 1, 1, 32),
    modes: mode === 'both' ? ['single', 'sweeps'] : [mode as 'sweeps' | 'single'],
  };
  options.accountRuns = number('account-runs', values['account-runs'] ?? env.BENCH_ACCOUNT_RUNS, options.runs * 10, options.runs, 1_000_000);
  if (errors.length === 0 && options.datasets + options.sessions + options.runs === 0) errors.push('--datasets, --sessions and --runs cannot all be 0');
  return errors.length > 0 ? { errors } : { options };
}
