import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { embeddedIPv4, isInternalHostName, isPublicAddress, normalizeHost, refuseSubscriptionUrl } from '../../lambdas/domain/url-policy';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1'], ['::1'], ['10.0.0.1'], ['172.16.5.4'], ['192.168.1.1'], ['169.254.169.254'], ['100.64.0.1'],
    ['0.0.0.0'], ['224.0.0.1'], ['fe80::1'], ['fc00::1'], ['::ffff:10.0.0.1'], ['::ffff:127.0.0.1'], ['::ffff:169.254.169.254'],
    ['fd00:ec2::254'], ['255.255.255.255'], ['not-an-ip'],
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([['93.184.216.34'], ['2606:4700:4700::1111'], ['::ffff:93.184.216.34']])('admits %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('refuseSubscriptionUrl', () => {
  const strict = { allowLoopback: false };
  const local = { allowLoopback: true };

  it.each([
    ['http://example.com/hook', 'webhook', 'must use https'],
    ['https://127.0.0.1/hook', 'webhook', 'must not point at a private'],
    ['https://[::1]/hook', 'webhook', 'must not point at a private'],
    ['https://169.254.169.254/latest', 'webhook', 'must not point at a private'],
    ['https://10.0.0.1/hook', 'webhook', 'must not point at a private'],
    ['https://[::ffff:10.0.0.1]/hook', 'webhook', 'must not point at a private'],
    ['https://localhost/hook', 'webhook', 'must not point at a private'],
    ['https://metadata.google.internal/x', 'webhook', 'must not point at a private'],
    ['https://metadata/latest', 'webhook', 'must name a public host'],
    ['https://intranet-wiki/hook', 'webhook', 'must name a public host'],
    ['https://user:pw@example.com/hook', 'webhook', 'must not carry credentials'],
    ['not a url', 'webhook', 'must be an absolute URL'],
    ['https://example.com/services/T/B/x', 'slack', 'Slack incoming-webhook'],
    ['https://hooks.slack.com/other', 'slack', 'Slack incoming-webhook'],
  ] as const)('refuses %s for %s', (url, channel, reason) => {
    expect(refuseSubscriptionUrl(url, channel, strict)).toContain(reason);
  });

  it.each([
    ['https://receiver.example.com/watchpost', 'webhook'],
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack'],
  ] as const)('admits %s', (url, channel) => {
    expect(refuseSubscriptionUrl(url, channel, strict)).toBeUndefined();
  });

  it('admits loopback http receivers only with the local switch', () => {
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/hook', 'webhook', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/slack', 'slack', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://10.0.0.1/hook', 'webhook', local)).toBe('must use https');
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/hook', 'webhook', strict)).toBe('must use https');
  });
});

describe('IPv6 addresses that carry an IPv4 address are judged by it', () => {
  it.each([
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::a9fe:a9fe', 'IPv4-compatible metadata service'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 to the metadata service'],
    ['64:ff9b:1::a00:1', 'local-use NAT64 to 10.0.0.1'],
    ['2002:7f00:1::1', '6to4 from 127.0.0.1'],
    ['2002:a00:1::1', '6to4 from 10.0.0.1'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo to client 127.0.0.1'],
    ['2001:0:a00:1:8000:63bf:a2b7:d7cb', 'Teredo through server 10.0.0.1'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
    expect(refuseSubscriptionUrl(`https://[${address}]/hook`, 'webhook', { allowLoopback: false })).toContain('must not point at a private');
  });

  it.each([['64:ff9b::808:808'], ['2002:5db8:d822::1'], ['::5db8:d822']])('admits %s, which carries a public IPv4 address', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it('still refuses the unspecified address and loopback in their IPv6 forms', () => {
    expect(isPublicAddress('::')).toBe(false);
    expect(isPublicAddress('::1')).toBe(false);
  });
});

describe('embeddedIPv4, form by form', () => {
  const carried = (address: string) => embeddedIPv4((ipaddr.parse(address) as ipaddr.IPv6).parts).map(String);

  it.each([
    ['::ffff:10.0.0.1', ['10.0.0.1'], 'IPv4-mapped'],
    ['1::ffff:a00:1', [], 'not mapped: the prefix is not zero'],
    ['::a00:1', ['10.0.0.1'], 'IPv4-compatible'],
    ['::2', ['0.0.0.2'], 'IPv4-compatible, just past ::1'],
    ['::1:0', ['0.1.0.0'], 'IPv4-compatible with a zero low word'],
    ['::1', [], 'loopback, not an IPv4 address'],
    ['::', [], 'unspecified, not an IPv4 address'],
    ['64:ff9b::a00:1', ['10.0.0.1'], 'NAT64 well-known prefix'],
    ['64:ff9b:1::a00:1', ['10.0.0.1'], 'NAT64 local-use prefix'],
    ['64:1::a00:1', [], 'not NAT64'],
    ['65:ff9b::a00:1', [], 'not NAT64 either'],
    ['2002:a00:1::', ['10.0.0.1'], '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45'], 'Teredo: server, then the inverted client'],
    ['2001:1:4136:e378::1', [], 'not Teredo'],
    ['3001:0:4136:e378::1', [], 'not Teredo either'],
    ['2606:4700:4700::1111', [], 'plain IPv6'],
  ])('reads %s as %j (%s)', (address, expected) => {
    expect(carried(address)).toEqual(expected);
  });
});

describe('refuseSubscriptionUrl at its edges', () => {
  const strict = { allowLoopback: false };
  const local = { allowLoopback: true };

  it('refuses credentials in the URL, a user name alone included', () => {
    expect(refuseSubscriptionUrl('https://bot@hooks.example.com/x', 'webhook', strict)).toBe('must not carry credentials');
    expect(refuseSubscriptionUrl('https://:secret@hooks.example.com/x', 'webhook', strict)).toBe('must not carry credentials');
  });

  it('admits only the name localhost itself as loopback under the local switch', () => {
    expect(refuseSubscriptionUrl('http://localhost:3000/hook', 'webhook', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://app.localhost:3000/hook', 'webhook', local)).toBe('must use https');
    expect(refuseSubscriptionUrl('http://localhost.example.com/hook', 'webhook', local)).toBe('must use https');
    expect(refuseSubscriptionUrl('https://[::1]:3000/hook', 'webhook', local)).toBeUndefined();
  });

  it('admits no other scheme on loopback under the local switch', () => {
    expect(refuseSubscriptionUrl('ftp://127.0.0.1/hook', 'webhook', local)).toBe('must use https');
  });

  it('judges an IPv6 literal receiver by the IPv4 address it carries', () => {
    expect(refuseSubscriptionUrl('https://[64:ff9b::a00:1]/hook', 'webhook', strict)).toBe('must not point at a private, loopback or link-local address');
    expect(refuseSubscriptionUrl('https://[64:ff9b::808:808]/hook', 'webhook', strict)).toBeUndefined();
  });
});

describe('host names are normalized before they are judged', () => {
  const strict = { allowLoopback: false };
  const local = { allowLoopback: true };
  const PRIVATE = 'must not point at a private, loopback or link-local address';

  it.each([
    ['https://localhost.:8443/h'],
    ['https://localhost%2e:8443/h'],
    ['https://localhost%2E%2E:8443/h'],
    ['https://LOCALHOST./h'],
    ['https://%6cocalhost/h'],
    ['https://localhost\u3002/h'],
    ['https://app.localhost./h'],
    ['https://metadata.google.internal./computeMetadata/v1/'],
    ['https://metadata.google.internal%2e/computeMetadata/v1/'],
    ['https://Metadata.Google.INTERNAL../computeMetadata/v1/'],
    ['https://printer.local./h'],
    ['https://wiki.intranet./h'],
    ['https://router.home.arpa./h'],
  ])('refuses %s as internal', (url) => {
    expect(refuseSubscriptionUrl(url, 'webhook', strict)).toBe(PRIVATE);
  });

  it('refuses a host that is only dots, or empty after them', () => {
    expect(refuseSubscriptionUrl('https://./h', 'webhook', strict)).toBe('must name a public host');
  });

  it.each([['https://metadata./latest'], ['https://intranet-wiki./hook']])('refuses %s: a single label stays one with its dot', (url) => {
    expect(refuseSubscriptionUrl(url, 'webhook', strict)).toBe('must name a public host');
  });

  it('admits a public name written with a trailing dot', () => {
    expect(refuseSubscriptionUrl('https://receiver.example.com./hook', 'webhook', strict)).toBeUndefined();
  });

  it('admits localhost in any spelling under the local switch, and only then', () => {
    expect(refuseSubscriptionUrl('http://localhost.:3000/hook', 'webhook', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://LocalHost%2e:3000/hook', 'webhook', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://localhost.:3000/hook', 'webhook', strict)).toBe('must use https');
  });

  it.each([
    ['localhost.', 'localhost'],
    ['LocalHost..', 'localhost'],
    ['localhost%2E', 'localhost'],
    ['Metadata.Google.Internal.', 'metadata.google.internal'],
    ['[::1]', '::1'],
    ['receiver.example.com', 'receiver.example.com'],
    ['a%zz.example.com', 'a%zz.example.com'],
    ['...', ''],
  ])('normalizeHost(%s) is %s', (host, normalized) => {
    expect(normalizeHost(host)).toBe(normalized);
  });

  it.each([
    ['localhost', true],
    ['localhost.', true],
    ['LOCALHOST%2e', true],
    ['a.b.internal.', true],
    ['internal.example.com', false],
    ['mylocalhost', false],
    ['receiver.example.com', false],
  ])('isInternalHostName(%s) is %s', (host, internal) => {
    expect(isInternalHostName(host)).toBe(internal);
  });
});

describe('Slack URLs', () => {
  const strict = { allowLoopback: false };
  const SLACK = 'must be a Slack incoming-webhook URL (https://hooks.slack.com/services/…)';

  it.each([['https://hooks.slack.com:8443/services/T000/B000/XXXX'], ['https://hooks.slack.com:80/services/T000/B000/XXXX'], ['https://hooks.slack.com:444/services/T000/B000/XXXX']])(
    'refuse any port but 443: %s',
    (url) => {
      expect(refuseSubscriptionUrl(url, 'slack', strict)).toBe(SLACK);
    },
  );

  it('admit 443 given or implied, and the host in any spelling', () => {
    expect(refuseSubscriptionUrl('https://hooks.slack.com:443/services/T000/B000/XXXX', 'slack', strict)).toBeUndefined();
    expect(refuseSubscriptionUrl('https://HOOKS.slack.com./services/T000/B000/XXXX', 'slack', strict)).toBeUndefined();
  });
});
