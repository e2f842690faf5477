/**
 * The SSRF guard's one test seam, for `npm run test:aws`: there the deployed
 * bundles run on this machine and must deliver to a webhook receiver on
 * 127.0.0.1, which AWS mode otherwise refuses. It admits only the exact
 * loopback origins listed (`http://127.0.0.1:<port>`, comma-separated), never
 * a private, link-local or other address, and only outside Lambda: every
 * Lambda environment has AWS_LAMBDA_RUNTIME_API, a reserved variable a
 * deployment can neither set nor remove. The stack refuses to set the
 * variable itself (see lib/watchpost-stack.ts), and an infra test holds it
 * to that.
 */
export const TEST_RECEIVERS_VARIABLE = 'WATCHPOST_TEST_LOOPBACK_RECEIVERS';

/** Whether a subscription URL is one of the test's own loopback receivers: always false in Lambda. */
export type TestReceivers = (url: string) => boolean;

export function testReceivers(environment: { readonly WATCHPOST_TEST_LOOPBACK_RECEIVERS?: string | undefined; readonly AWS_LAMBDA_RUNTIME_API?: string | undefined }): TestReceivers {
  const listed = environment.WATCHPOST_TEST_LOOPBACK_RECEIVERS;
  if (!listed || environment.AWS_LAMBDA_RUNTIME_API) return () => false;
  const origins = new Set(listed.split(',').map((entry) => loopbackOrigin(entry.trim())).filter((origin): origin is string => origin !== undefined));
  return (url) => {
    const origin = loopbackOrigin(url);
    return origin !== undefined && origins.has(origin);
  };
}

/** `http://127.0.0.1:<port>` of a URL on IPv4 loopback with an explicit port; undefined for anything else. */
function loopbackOrigin(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.port === '' || url.username || url.password) return undefined;
  return url.origin;
}
