import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleAssets, FAVICON, readConsoleAssets, writeConsoleAssets, type ConsoleAssets } from '../../lambdas/console/assets';
import { CONSOLE_SECURITY_HEADERS, serveConsole } from '../../lambdas/console/serve';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { startTestRuntime } from '../support/local-runtime';

let runtime: LocalRuntime;
let removeDataDir: () => Promise<void>;
let assets: ConsoleAssets;

beforeAll(async () => {
  ({ runtime, removeDataDir } = await startTestRuntime());
  assets = await buildConsoleAssets();
}, 60_000);
afterAll(async () => {
  await runtime.close();
  await removeDataDir();
});

describe('the console as the local runtime serves it', () => {
  it('carries the Content-Security-Policy and frame denial on every console response, found or not', async () => {
    const index = await fetch(`${runtime.apiUrl}/console/`);
    const html = await index.text();
    const files = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]!);
    const responses = [
      index,
      ...(await Promise.all(files.map((file) => fetch(`${runtime.apiUrl}${file}`)))),
      await fetch(`${runtime.apiUrl}/console`, { redirect: 'manual' }),
      await fetch(`${runtime.apiUrl}/`, { redirect: 'manual' }),
      await fetch(`${runtime.apiUrl}/console/no-such-file.js`),
      await fetch(`${runtime.apiUrl}/console/`, { method: 'POST' }),
    ];

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 308, 308, 404, 405]);
    expect([responses[3]!.headers.get('location'), responses[4]!.headers.get('location')]).toEqual(['/console/', '/console/']);
    for (const response of responses) {
      expect(response.headers.get('content-security-policy'), response.url).toBe(CONSOLE_SECURITY_HEADERS['content-security-policy']);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(CONSOLE_SECURITY_HEADERS['content-security-policy']).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
    expect(CONSOLE_SECURITY_HEADERS['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(files.sort()).toEqual([expect.stringMatching(/^\/console\/app\.css\?v=[0-9a-f]{12}$/), expect.stringMatching(/^\/console\/app\.js\?v=[0-9a-f]{12}$/)]);
  });

  it('has no inline script or style for the policy to allow, and no third-party origin', () => {
    const html = assets.get('/console/')!.body;

    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style|\son\w+=/);
    expect(`${html}${assets.get('/console/app.js')!.body}`).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('names its favicon inline, as an SVG data: URI the policy allows (no request, no file of its own)', () => {
    const html = assets.get('/console/')!.body;
    const icon = /<link rel="icon" href="([^"]+)">/.exec(html)?.[1];

    expect(icon).toBe(FAVICON);
    expect(decodeURIComponent(FAVICON.slice('data:image/svg+xml,'.length))).toMatch(/^<svg xmlns='http:\/\/www\.w3\.org\/2000\/svg'.*<\/svg>$/);
    expect(CONSOLE_SECURITY_HEADERS['content-security-policy']).toContain("img-src 'self' data:");
  });

  it('stays under 150 KB gzipped, all of it', () => {
    const gzipped = [...assets.values()].reduce((sum, file) => sum + gzipSync(file.body, { level: 9 }).byteLength, 0);

    expect(gzipped).toBeLessThan(150 * 1024);
  });

  it('caches the versioned files for good and the page never', async () => {
    const page = serveConsole(assets, 'GET', '/console/');
    const script = serveConsole(assets, 'GET', '/console/app.js');
    const head = serveConsole(assets, 'HEAD', '/console/app.js');

    expect(page.headers['cache-control']).toBe('no-store');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(head).toMatchObject({ status: 200, body: '' });
  });
});

describe('the console in AWS (built into the API function’s bundle)', () => {
  it('is read back as it was written, and a bundle without it answers 404 saying so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'watchpost-console-'));
    try {
      await writeConsoleAssets(assets, join(dir, 'console'));
      const read = await readConsoleAssets(join(dir, 'console'));

      expect([...(read ?? new Map()).entries()]).toEqual([...assets.entries()]);
      expect(await readConsoleAssets(join(dir, 'missing'))).toBeUndefined();
      expect(serveConsole(undefined, 'GET', '/console/')).toMatchObject({ status: 404, body: 'The console was not built into this deployment.' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
