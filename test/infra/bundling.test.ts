import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_FILE, bundleFunction, bundleOptions } from '../../lib/constructs/node-function';

/** Runs the bundle's handler in a fresh Node process, as Lambda loads it: a plain ES module, no test runner around it. */
function runHandler(dir: string): string {
  const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(join(dir, BUNDLE_FILE)).href)}); process.stdout.write(String(await handler()));`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/bundling/${name}`, import.meta.url));
const outdir = () => mkdtempSync(join(tmpdir(), 'watchpost-bundle-'));

describe('function bundling', () => {
  it('fails on any esbuild warning and names the file and the warning', () => {
    const dir = outdir();
    expect(() => bundleFunction(fixture('warns.ts'), dir)).toThrow(/warns\.ts \(warnings fail bundling\):[\s\S]*equals-negative-zero/);
  });

  it('writes an ES module whose import.meta is the bundle’s own URL, computed at load', () => {
    const dir = outdir();
    bundleFunction(fixture('uses-import-meta.ts'), dir);

    expect(existsSync(join(dir, BUNDLE_FILE))).toBe(true);
    expect(existsSync(join(dir, `${BUNDLE_FILE}.map`))).toBe(true);
    expect(runHandler(dir)).toBe(pathToFileURL(`${dir}/`).href);
  });

  it('would have warned with the CommonJS output the stack used to ship (the import.meta bug)', () => {
    const result = buildSync({ ...bundleOptions(fixture('uses-import-meta.ts'), outdir()), format: 'cjs', banner: {}, write: false });
    expect(result.warnings.map((warning) => warning.id)).toEqual(['empty-import-meta']);
  });

  it('gives bundled CommonJS code the require it expects for Node’s built-ins', () => {
    const dir = outdir();
    bundleFunction(fixture('uses-commonjs.ts'), dir);
    expect(runHandler(dir)).toBe('"\\n"');
  });
});
