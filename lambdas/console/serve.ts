import type { ApiResponse } from '../api/http';
import type { ConsoleAssets } from './assets';

/**
 * Headers on every console response: scripts, styles and requests only from
 * this origin, no inline script or style, no framing, no referrer, and the
 * token never cached anywhere (it lives in sessionStorage only).
 */
export const CONSOLE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Whether a path is the console's (the API owns everything else); the site's root leads to it. */
export function isConsolePath(path: string): boolean {
  return path === '/' || path === '/console' || path.startsWith('/console/');
}

/** A console file, or a 404 with the same headers; `/` and `/console` redirect to `/console/`. */
export function serveConsole(assets: ConsoleAssets | undefined, method: string, path: string): ApiResponse {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { ...CONSOLE_SECURITY_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed' };
  if (path === '/' || path === '/console') return { status: 308, headers: { ...CONSOLE_SECURITY_HEADERS, location: '/console/' }, body: '' };
  const file = assets?.get(path);
  if (!file) {
    const body = assets ? 'Not found' : 'The console was not built into this deployment.';
    return { status: 404, headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body };
  }
  // The page is small and names its versioned files, so it is never cached; the files are immutable per version.
  const caching = path === '/console/' ? 'no-store' : 'public, max-age=31536000, immutable';
  return { status: 200, headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': file.type, 'cache-control': caching }, body: method === 'HEAD' ? '' : file.body };
}
