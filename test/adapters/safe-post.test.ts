import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safePostJson } from '../../lambdas/adapters/http/safe-post';
import { startReceiver, type Receiver } from '../support/receiver';

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());

const strict = { timeoutMs: 2_000, allowLoopback: false };
const port = () => new URL(receiver.url).port;

describe('safePostJson with the local switch off', () => {
  it.each([
    ['http://127.0.0.1', () => `http://127.0.0.1:${port()}/hook`],
    ['https://127.0.0.1', () => `https://127.0.0.1:${port()}/hook`],
    ['https://[::1]', () => `https://[::1]:${port()}/hook`],
    ['the metadata service', () => 'https://169.254.169.254/latest/meta-data/'],
    ['10.0.0.1', () => 'https://10.0.0.1/hook'],
    ['an IPv4-mapped IPv6 loopback', () => `https://[::ffff:127.0.0.1]:${port()}/hook`],
    ['an IPv4-mapped IPv6 private address', () => 'https://[::ffff:10.0.0.1]/hook'],
  ])('refuses %s without sending anything', async (_name, url) => {
    const before = receiver.received.length;

    const result = await safePostJson(url(), '{}', {}, strict);

    expect(result).toMatchObject({ ok: false, refused: true });
    expect(receiver.received.length).toBe(before);
  });

  it('refuses a hostname that resolves to a private address, at delivery time', async () => {
    const result = await safePostJson('https://hooks.attacker.example/x', '{}', {}, { ...strict, resolve: async () => [{ address: '10.1.2.3', family: 4 }] });

    expect(result).toMatchObject({ ok: false, refused: true });
    expect(result.error).toContain('10.1.2.3');
  });

  it.each([['localhost.'], ['LOCALHOST'], ['metadata.google.internal.'], ['vault.corp.internal'], ['nas.local.']])(
    'refuses the internal name %s at delivery time, before resolving it, whatever it would resolve to',
    async (host) => {
      const asked: string[] = [];
      const result = await safePostJson(`https://${host}/x`, '{}', {}, { ...strict, resolve: async (name) => (asked.push(name), [{ address: '93.184.216.34', family: 4 }]) });

      expect(result).toMatchObject({ ok: false, refused: true, error: `refused: ${host.toLowerCase().replace(/\.+$/, '')} is an internal host name` });
      expect(asked).toEqual([]);
    },
  );

  it('refuses a hostname that resolves to a public and a private address', async () => {
    const result = await safePostJson('https://rebind.attacker.example/x', '{}', {}, {
      ...strict,
      resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '::ffff:169.254.169.254', family: 6 }],
    });

    expect(result).toMatchObject({ ok: false, refused: true });
  });
});

describe('safePostJson with the local switch on', () => {
  const local = { timeoutMs: 2_000, allowLoopback: true };

  it('admits a loopback receiver and reports status and latency', async () => {
    const result = await safePostJson(`${receiver.url}/hook`, '{"a":1}', { 'content-type': 'application/json' }, local);

    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(receiver.received.at(-1)?.body).toBe('{"a":1}');
  });

  it('admits a name that resolves to loopback', async () => {
    const result = await safePostJson(`http://receiver.test:${port()}/hook`, '{}', {}, { ...local, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });

    expect(result.ok).toBe(true);
  });

  it('still refuses private addresses other than loopback', async () => {
    expect(await safePostJson('http://10.0.0.1/hook', '{}', {}, local)).toMatchObject({ refused: true });
  });

  it('does not follow redirects', async () => {
    receiver.answer({ status: 302, headers: { location: 'http://169.254.169.254/' } });

    const result = await safePostJson(`${receiver.url}/hook`, '{}', {}, local);

    expect(result).toMatchObject({ ok: false, statusCode: 302, error: 'redirects are not followed' });
  });
});

describe('safePostJson keeps the start of a refusal’s body', () => {
  const local = { timeoutMs: 2_000, allowLoopback: true };

  it('returns a non-2xx body, cut to 4 KB, for receivers that explain themselves there', async () => {
    receiver.answer({ status: 429, body: JSON.stringify({ retry_after: 1.5 }) }, { status: 400, body: 'x'.repeat(10_000) });

    const limited = await safePostJson(`${receiver.url}/discord`, '{}', {}, local);
    const large = await safePostJson(`${receiver.url}/discord`, '{}', {}, local);

    expect(limited).toMatchObject({ ok: false, statusCode: 429, body: '{"retry_after":1.5}' });
    expect(large.body).toBe('x'.repeat(4 * 1024));
  });

  it('keeps no body of a success, nor of an empty refusal', async () => {
    receiver.answer({ status: 200, body: 'fine' }, { status: 500 });

    const ok = await safePostJson(`${receiver.url}/hook`, '{}', {}, local);
    const empty = await safePostJson(`${receiver.url}/hook`, '{}', {}, local);

    expect(ok).not.toHaveProperty('body');
    expect(empty).not.toHaveProperty('body');
    expect(empty.statusCode).toBe(500);
  });
});
