import { buildConsoleAssets, writeConsoleAssets } from './assets';

/** `tsx lambdas/console/build-cli.ts <dir>`: the CDK stack runs this while bundling the API function. */
const dir = process.argv[2];
if (!dir) {
  console.error('usage: tsx lambdas/console/build-cli.ts <output directory>');
  process.exit(2);
}
await writeConsoleAssets(await buildConsoleAssets(), dir);
