/**
 * After `stryker run`: prints the mutation score of every mutated file and
 * of each area, and fails if any file is below the break threshold. Stryker's
 * own `thresholds.break` applies to the total only; a well-tested area must
 * not hide a poorly tested file.
 */
import { readFileSync } from 'node:fs';

interface Report {
  thresholds: { break?: number | null };
  files: Record<string, { mutants: Array<{ status: string }> }>;
}

const report = JSON.parse(readFileSync(process.argv[2] ?? 'reports/mutation/mutation.json', 'utf8')) as Report;
const threshold = report.thresholds.break ?? 85;
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function score(mutants: Array<{ status: string }>) {
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length;
  return { detected, valid, percent: valid === 0 ? 100 : (100 * detected) / valid };
}

const area = (file: string) =>
  file.startsWith('lambdas/domain/') ? 'domain' : file.startsWith('lambdas/adapters/dynamo/') ? 'DynamoDB stores' : file.startsWith('lambdas/adapters/upstream/') ? 'upstream clients' : 'delivery service';
const rows = Object.entries(report.files).map(([file, { mutants }]) => ({ file, area: area(file), ...score(mutants), mutants }));
const areas = [...new Set(rows.map((r) => r.area))].map((name) => ({ name, ...score(rows.filter((r) => r.area === name).flatMap((r) => r.mutants)) }));

const format = (percent: number) => `${percent.toFixed(1)}%`;
console.log('\nMutation score by area');
for (const a of areas) console.log(`  ${a.name.padEnd(18)} ${format(a.percent).padStart(7)}  (${a.detected}/${a.valid})`);
console.log(`  ${'total'.padEnd(18)} ${format(score(rows.flatMap((r) => r.mutants)).percent).padStart(7)}`);
// Static mutants (module-level values: schemas, constant tables) would each rerun the whole
// suite, half the run's time; stryker.config.json ignores them, and they count in no score.
const ignored = rows.flatMap((r) => r.mutants).filter((m) => m.status === 'Ignored').length;
if (ignored > 0) console.log(`  (${ignored} static mutants ignored, not scored: ignoreStatic in stryker.config.json)`);
const below = rows.filter((r) => r.percent < threshold).sort((a, b) => a.percent - b.percent);
console.log(`\nFiles below ${threshold}%: ${below.length === 0 ? 'none' : ''}`);
for (const r of below) console.log(`  ${r.file.padEnd(50)} ${format(r.percent).padStart(7)}  (${r.detected}/${r.valid})`);
if (below.length > 0) process.exitCode = 1;
