import { describe, expect, it } from 'vitest';
import { TEST_RECEIVERS_VARIABLE, testReceivers } from '../../lambdas/adapters/http/test-receivers';

const listing = (value: string, extra: Record<string, string> = {}) => testReceivers({ [TEST_RECEIVERS_VARIABLE]: value, ...extra });

describe('the SSRF guard test seam', () => {
  it('admits a listed loopback origin, on any path', () => {
    const admits = listing('http://127.0.0.1:4100,http://127.0.0.1:4200');
    expect(admits('http://127.0.0.1:4100/hooks/a?x=1')).toBe(true);
    expect(admits('http://127.0.0.1:4200')).toBe(true);
  });

  it('admits nothing when the variable is unset or empty', () => {
    expect(testReceivers({})('http://127.0.0.1:4100/')).toBe(false);
    expect(listing('')('http://127.0.0.1:4100/')).toBe(false);
  });

  it('admits nothing in Lambda, whose environments always carry AWS_LAMBDA_RUNTIME_API', () => {
    expect(listing('http://127.0.0.1:4100', { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' })('http://127.0.0.1:4100/')).toBe(false);
  });

  it('refuses an unlisted port, https, another loopback spelling, and credentials', () => {
    const admits = listing('http://127.0.0.1:4100');
    expect(admits('http://127.0.0.1:4101/')).toBe(false);
    expect(admits('https://127.0.0.1:4100/')).toBe(false);
    expect(admits('http://localhost:4100/')).toBe(false);
    expect(admits('http://[::1]:4100/')).toBe(false);
    expect(admits('http://127.0.0.2:4100/')).toBe(false);
    expect(admits('http://user:pw@127.0.0.1:4100/')).toBe(false);
    expect(admits('not a url')).toBe(false);
  });

  it('never admits a private, link-local or public address, even when listed', () => {
    const admits = listing('http://10.0.0.5:80,http://169.254.169.254:80,http://192.168.1.2:8080,http://203.0.114.9:80,http://127.0.0.1');
    for (const url of ['http://10.0.0.5/', 'http://169.254.169.254/latest/meta-data/', 'http://192.168.1.2:8080/', 'http://203.0.114.9/', 'http://127.0.0.1/']) {
      expect(admits(url), url).toBe(false);
    }
  });
});
