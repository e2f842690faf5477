import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The console's browser tests need Chromium (npm run test:browser); test/aws needs moto (npm run test:aws).
    exclude: ['test/browser/**', 'test/aws/**', 'node_modules/**'],
    // Integration tests start real local servers (DynamoDB protocol server, HTTP
    // upstream simulator); give them headroom on a 2-core CI machine.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The AWS SDK warns once per process that Node 20 support ends in 2027; it
    // is noise in test output, not a test concern.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // CI asks for a machine-readable report to print its closing count line.
    reporters: process.env.WATCHPOST_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.WATCHPOST_TEST_REPORT }]]
      : ['default'],
  },
});
