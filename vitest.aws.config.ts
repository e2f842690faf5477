import { defineConfig } from 'vitest/config';

/**
 * `npm run test:aws`: the synthesized bundles against moto_server, one file
 * per configuration (default, fan-out). Each file synthesizes its own
 * assembly and starts its own moto and the functions' Node 24 processes, so
 * the two run side by side (the fan-out file spends most of its minute in its
 * workers' sweeps, waiting). The verbose reporter prints every step checked.
 */
export default defineConfig({
  test: {
    include: ['test/aws/**/*.test.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: process.env.WATCHPOST_TEST_REPORT ? ['verbose', ['json', { outputFile: process.env.WATCHPOST_TEST_REPORT }]] : ['verbose'],
  },
});
