import { describe, expect, it } from 'vitest';
import { BENCH_USAGE, parseBenchArgs } from './bench-args';

const DEFAULTS = {
  datasets: 1000,
  sessions: 1000,
  projects: 10,
  runs: 0,
  accountRuns: 0,
  changeRate: 0.01,
  sweepSeconds: 60,
  minutes: 5,
  latencyMs: 50,
  concurrency: 16,
  segments: 1,
  modes: ['single', 'sweeps'],
};

describe('npm run bench arguments', () => {
  it('takes watched runs and the account’s runs, ten per watched one unless told, never fewer than watched', () => {
    expect(parseBenchArgs(['--runs', '50'], {})).toEqual({ options: { ...DEFAULTS, runs: 50, accountRuns: 500 } });
    expect(parseBenchArgs(['--runs', '50', '--account-runs', '50'], { BENCH_ACCOUNT_RUNS: '9' })).toEqual({ options: { ...DEFAULTS, runs: 50, accountRuns: 50 } });
    expect(parseBenchArgs([], { BENCH_RUNS: '3', BENCH_ACCOUNT_RUNS: '1000000' })).toEqual({ options: { ...DEFAULTS, runs: 3, accountRuns: 1_000_000 } });
    expect(parseBenchArgs(['--runs', '50', '--account-runs', '49'], {})).toEqual({ errors: ['--account-runs must be a whole number from 50 to 1000000 (got "49")'] });
    expect(parseBenchArgs(['--runs', '100001'], {})).toEqual({ errors: ['--runs must be a whole number from 0 to 100000 (got "100001")'] });
  });

  it('takes flags over environment over defaults; --watches is --datasets', () => {
    expect(parseBenchArgs([], {})).toEqual({ options: DEFAULTS });
    expect(parseBenchArgs(['--watches', '200', '--mode', 'sweeps'], { BENCH_DATASETS: '5', BENCH_LATENCY_MS: '0', BENCH_CHANGE_RATE: '0.1' })).toEqual({
      options: { ...DEFAULTS, datasets: 200, latencyMs: 0, changeRate: 0.1, modes: ['sweeps'] },
    });
  });

  it('takes the number of poller segments, 1 to 32', () => {
    expect(parseBenchArgs(['--segments', '4'], {})).toEqual({ options: { ...DEFAULTS, segments: 4 } });
    expect(parseBenchArgs(['--segments', '33'], {})).toEqual({ errors: ['--segments must be a whole number from 1 to 32 (got "33")'] });
  });

  it('names every bad value at once instead of running with NaN', () => {
    expect(parseBenchArgs(['--datasets', 'abc', '--concurrency', '0', '--change-rate', '2', '--mode', 'fast'], {})).toEqual({
      errors: [
        '--mode must be sweeps, single or both (got "fast")',
        '--datasets must be a whole number from 0 to 100000 (got "abc")',
        '--change-rate must be a number from 0 to 1 (got "2")',
        '--concurrency must be a whole number from 1 to 256 (got "0")',
      ],
    });
    expect(parseBenchArgs(['--datasets', '0', '--sessions', '0'], {})).toEqual({ errors: ['--datasets, --sessions and --runs cannot all be 0'] });
    expect(parseBenchArgs(['--datasets', '0', '--sessions', '0', '--runs', '1'], {})).toEqual({ options: { ...DEFAULTS, datasets: 0, sessions: 0, runs: 1, accountRuns: 10 } });
  });

  it('answers --help with usage, and an unknown flag with an error instead of a crash', () => {
    expect(parseBenchArgs(['--help'], {})).toEqual({ help: true });
    expect(parseBenchArgs(['--colour'], {})).toEqual({ errors: [expect.stringContaining("'--colour'")] });
    expect(BENCH_USAGE).toContain('--sessions M');
  });
});
