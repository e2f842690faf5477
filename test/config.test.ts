import { describe, expect, it } from 'vitest';
import { ConfigError, credentialsFromEnv, loadEnv, pollIntervalSeconds, tickDeadlineMs } from '../lambdas/config';

describe('loadEnv', () => {
  it('applies the documented defaults', () => {
    expect(loadEnv({})).toMatchObject({
      DEEPOPINION_BASE_URL: 'https://api.deepopinion.ai',
      ADAPTION_BASE_URL: 'https://api.adaptionlabs.ai',
      WATCHPOST_POLL_CONCURRENCY: 16,
      WATCHPOST_FAILURE_THRESHOLD: 5,
      WATCHPOST_UPSTREAM_TIMEOUT_MS: 10_000,
      WATCHPOST_DATA_DIR: '.watchpost',
      WATCHPOST_PORT: 8787,
    });
  });

  it('polls every 60 s against real upstreams and every 15 s in the demo, unless told otherwise', () => {
    expect([pollIntervalSeconds(loadEnv({})), pollIntervalSeconds(loadEnv({}), true)]).toEqual([60, 15]);
    expect(pollIntervalSeconds(loadEnv({ WATCHPOST_POLL_INTERVAL_SECONDS: '90' }), true)).toBe(90);
  });

  it('gives a tick 80% of its interval, and keeps 15 s of a Lambda’s remaining time', () => {
    expect(tickDeadlineMs(loadEnv({}))).toBe(48_000);
    expect(tickDeadlineMs(loadEnv({}), Number.POSITIVE_INFINITY, 15)).toBe(12_000);
    expect(tickDeadlineMs(loadEnv({}), 40_000)).toBe(25_000);
    expect(tickDeadlineMs(loadEnv({ WATCHPOST_TICK_DEADLINE_SECONDS: '5' }))).toBe(5_000);
  });

  it('lists every problem at once', () => {
    const error = (() => {
      try {
        loadEnv({ WATCHPOST_POLL_CONCURRENCY: 'many', ADAPTION_BASE_URL: 'ftp://x', WATCHPOST_POLL_INTERVAL_SECONDS: '-1' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.split(':')[0])).toEqual([
      'ADAPTION_BASE_URL',
      'WATCHPOST_POLL_CONCURRENCY',
      'WATCHPOST_POLL_INTERVAL_SECONDS',
    ]);
  });

  it('refuses a DeepOpinion token together with a login', () => {
    expect(() => loadEnv({ DEEPOPINION_TOKEN: 't', DEEPOPINION_EMAIL: 'a@b.c', DEEPOPINION_PASSWORD: 'p' })).toThrow(/not both/);
  });

  it('refuses an email without a password', () => {
    expect(() => loadEnv({ DEEPOPINION_EMAIL: 'a@b.c' })).toThrow(/go together/);
  });

  it('accepts a fractional local poll interval', () => {
    expect(loadEnv({ WATCHPOST_POLL_INTERVAL_SECONDS: '0.5' }).WATCHPOST_POLL_INTERVAL_SECONDS).toBe(0.5);
  });

  it('prefers a token, else email and password, for DeepOpinion', () => {
    expect(credentialsFromEnv(loadEnv({ DEEPOPINION_TOKEN: 'jwt' })).deepOpinion).toEqual({ token: 'jwt' });
    expect(credentialsFromEnv(loadEnv({ DEEPOPINION_EMAIL: 'a@b.c', DEEPOPINION_PASSWORD: 'p' })).deepOpinion).toEqual({ email: 'a@b.c', password: 'p' });
    expect(credentialsFromEnv(loadEnv({})).deepOpinion).toBeUndefined();
  });
});
