import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's files as served: path under /console → body and type. */
export type ConsoleAssets = Map<string, { body: string; type: string }>;

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));

/**
 * The favicon, inline as a data: URI (the CSP's img-src allows data:), so it
 * needs no file of its own: a watchtower-blue disc with a white check.
 */
export const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='15' fill='%231f5fbf'/%3E%3Cpath d='M9 16.5l4.5 4.5L23 11.5' fill='none' stroke='white' stroke-width='3.5' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

/** The page: no inline script or style, so the Content-Security-Policy can forbid both. */
function indexHtml(version: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>Watchpost console</title>',
    `<link rel="icon" href="${FAVICON}">`,
    `<link rel="stylesheet" href="/console/app.css?v=${version}">`,
    `<script defer src="/console/app.js?v=${version}"></script>`,
    '</head>',
    '<body><div id="app"><noscript>The Watchpost console needs JavaScript.</noscript></div></body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Builds the console with esbuild (a build-time tool: the local runtime
 * calls this at start, the CDK stack while bundling the API function).
 * Preact for the components: about 4 KB, and JSX without a framework tool chain.
 */
export async function buildConsoleAssets(): Promise<ConsoleAssets> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(APP_DIR, 'main.tsx')],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'error',
  });
  const script = result.outputFiles[0]?.text ?? '';
  const style = await readFile(join(APP_DIR, 'console.css'), 'utf8');
  const version = createHash('sha256').update(script).update(style).digest('hex').slice(0, 12);
  return new Map([
    ['/console/', { body: indexHtml(version), type: 'text/html; charset=utf-8' }],
    ['/console/app.js', { body: script, type: 'text/javascript; charset=utf-8' }],
    ['/console/app.css', { body: style, type: 'text/css; charset=utf-8' }],
  ]);
}

const FILE_NAMES: Record<string, string> = { '/console/': 'index.html', '/console/app.js': 'app.js', '/console/app.css': 'app.css' };

/** Writes the built console into a directory (the API function's bundle). */
export async function writeConsoleAssets(assets: ConsoleAssets, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [path, file] of assets) await writeFile(join(dir, FILE_NAMES[path] ?? 'unknown'), file.body, 'utf8');
}

/** Reads a console written by writeConsoleAssets; undefined when there is none (a bundle built without it). */
export async function readConsoleAssets(dir: string): Promise<ConsoleAssets | undefined> {
  const present = await readdir(dir).catch(() => [] as string[]);
  if (!present.includes('index.html')) return undefined;
  const assets: ConsoleAssets = new Map();
  for (const [path, name] of Object.entries(FILE_NAMES)) {
    const type = name.endsWith('.html') ? 'text/html; charset=utf-8' : name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8';
    assets.set(path, { body: await readFile(join(dir, name), 'utf8'), type });
  }
  return assets;
}
