import { describe, expect, it } from 'vitest';
import { BENCH_USAGE, parseBenchArgs } from './bench-args';

describe('npm run bench arguments', () => {
  it('takes flags over environment over defaults', () => {
    expect(parseBenchArgs([], {})).toEqual({ options: { watches: 1000, latencyMs: 50, concurrency: 16 } });
    expect(parseBenchArgs(['--watches', '200'], { BENCH_WATCHES: '5', BENCH_LATENCY_MS: '0' })).toEqual({ options: { watches: 200, latencyMs: 0, concurrency: 16 } });
  });

  it('names every bad value at once instead of running with NaN', () => {
    expect(parseBenchArgs(['--watches', 'abc', '--concurrency', '0'], {})).toEqual({
      errors: ['--watches must be a whole number from 1 to 100000 (got "abc")', '--concurrency must be a whole number from 1 to 256 (got "0")'],
    });
  });

  it('answers --help with usage, and an unknown flag with an error instead of a crash', () => {
    expect(parseBenchArgs(['--help'], {})).toEqual({ help: true });
    expect(parseBenchArgs(['--colour'], {})).toEqual({ errors: [expect.stringContaining("'--colour'")] });
    expect(BENCH_USAGE).toContain('--watches N');
  });
});
