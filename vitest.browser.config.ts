import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: the console in a real headless Chromium (Debian's chromium package). */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    // One browser walks one story: the tests of the file run in order on one page.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: process.env.WATCHPOST_TEST_REPORT ? ['default', ['json', { outputFile: process.env.WATCHPOST_TEST_REPORT }]] : ['default'],
  },
});
