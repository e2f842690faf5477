import { describe, expect, it } from 'vitest';
import { isPublicAddress, refuseSubscriptionUrl } from '../../lambdas/domain/url-policy';

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
