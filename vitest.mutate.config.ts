import { defineConfig } from 'vitest/config';

/**
 * The suite as `npm run mutate` runs it for each mutant: the tests that can
 * kill a mutant of the mutated files (domain, stores, delivery, upstream
 * clients), without the ones that exercise other layers only (CDK synth,
 * processes started as a user would, the local runtime's wiring), and with
 * the registration races smaller: 2 trials instead of 25 and a fifth of
 * the crowd (test/api/registration-races.test.ts). Each mutant runs every
 * test that reaches it, so a race that reaches every store mutant is paid
 * once per mutant.
 */
export default defineConfig({
  test: {
    include: [
      'test/domain/**/*.test.ts',
      'test/adapters/**/*.test.ts',
      'test/api/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/delivery/**/*.test.ts',
      'test/poller/**/*.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', WATCHPOST_RACE_TRIALS: '2', WATCHPOST_RACE_SCALE: '0.2' },
  },
});
