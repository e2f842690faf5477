/**
 * `npm run lint:cfn` (in .ci/run): cfn-lint (Python, installed on the machines
 * this project runs on) over the default and the fan-out templates. Any
 * finding fails, warnings included, except the rules listed here with why.
 * Synthesized without bundling: the templates are the same but for asset hashes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { WatchpostStack } from '../../lib/watchpost-stack';

/** Rules not applied, each with its reason. */
export const IGNORED_RULES: Record<string, string> = {
  W3005:
    'CDK adds an explicit DependsOn from each function to its service role, which its Role GetAtt already implies; harmless, and CDK offers no switch to drop it.',
};

const CONFIGURATIONS: Record<string, Record<string, unknown>> = { default: {}, 'fan-out': { pollSegments: 4 } };

try {
  execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('cfn-lint is not installed: pip install cfn-lint');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'watchpost-cfn-lint-'));
let failed = false;
for (const [name, config] of Object.entries(CONFIGURATIONS)) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: join(dir, name) });
  new WatchpostStack(app, 'Watchpost', { config, env: { account: '123456789012', region: 'eu-west-1' } });
  const file = join(dir, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(app.synth().getStackByName('Watchpost').template, null, 1));
  const result = spawnSync('cfn-lint', ['--regions', 'eu-west-1', '--ignore-checks', ...Object.keys(IGNORED_RULES), '--', file], { encoding: 'utf8' });
  const findings = result.stdout.trim();
  if (result.status !== 0) {
    failed = true;
    console.log(`cfn-lint, ${name} template: FAILED (exit ${result.status})\n${findings}${result.stderr}`);
  } else {
    console.log(`cfn-lint, ${name} template: no findings`);
  }
}
console.log(`ignored: ${Object.entries(IGNORED_RULES).map(([rule, why]) => `${rule} (${why})`).join('; ')}`);
process.exit(failed ? 1 : 0);
