import ipaddr from 'ipaddr.js';

/**
 * Where Watchpost may send HTTP requests on a subscriber's behalf. Only
 * public unicast addresses: never loopback, private, link-local (which holds
 * the cloud metadata service), multicast, reserved or translated ranges.
 */
export function isPublicAddress(address: string): boolean {
  return addressRange(address) === 'unicast';
}

export function isLoopbackAddress(address: string): boolean {
  return addressRange(address) === 'loopback';
}

/** Whether Watchpost may connect to this address: public, or loopback where the local switch allows it. */
export function isAllowedDestination(address: string, policy: UrlPolicy): boolean {
  return isPublicAddress(address) || (policy.allowLoopback && isLoopbackAddress(address));
}

/**
 * ipaddr.js's range name (`unicast`, `private`, `loopback`, …), or undefined
 * for a non-address. An IPv6 address that carries an IPv4 address is judged
 * by the IPv4 address(es) inside, since that is where it ends up.
 */
function addressRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range();
  const embedded = embeddedIPv4((parsed as ipaddr.IPv6).parts);
  if (embedded.length === 0) return parsed.range();
  // Every IPv4 address it carries must pass, or the address does not.
  return embedded.map((v4) => v4.range()).find((range) => range !== 'unicast') ?? 'unicast';
}

/** The IPv4 addresses an IPv6 address embeds, by the forms that route to them. */
export function embeddedIPv4(parts: number[]): ipaddr.IPv4[] {
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const [p0, p1, p2, p3, , p5, p6, p7] = parts as [number, number, number, number, number, number, number, number];
  const zeroUpTo = (n: number) => parts.slice(0, n).every((part) => part === 0);
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d (but not :: and ::1).
  if (zeroUpTo(5) && p5 === 0xffff) return [v4(p6, p7)];
  if (zeroUpTo(6) && !(p6 === 0 && p7 <= 1)) return [v4(p6, p7)];
  // NAT64: the well-known 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
  if (p0 === 0x64 && p1 === 0xff9b) return [v4(p6, p7)];
  // 6to4 2002:AABB:CCDD::/48.
  if (p0 === 0x2002) return [v4(p1, p2)];
  // Teredo 2001:0::/32: the server's address, and the client's, stored inverted.
  if (p0 === 0x2001 && p1 === 0) return [v4(p2, p3), v4(p6 ^ 0xffff, p7 ^ 0xffff)];
  return [];
}

/** Host names that only ever mean something inside a network. */
const INTERNAL_HOST = /(^|\.)(localhost|local|internal|intranet|home\.arpa)$/i;

export interface UrlPolicy {
  /** Local development only: admit http:// receivers on loopback. */
  allowLoopback: boolean;
}

const SLACK_WEBHOOK = /^\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+$/;

/**
 * Checks a subscription URL when it is registered; returns why it is refused,
 * or undefined. Host names are resolved and checked again at delivery time.
 */
export function refuseSubscriptionUrl(raw: string, channel: 'slack' | 'webhook', policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = isLoopbackAddress(host) || /^localhost$/i.test(host);
  if (policy.allowLoopback && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined;

  if (url.protocol !== 'https:') return 'must use https';
  if (channel === 'slack' && (host !== 'hooks.slack.com' || !SLACK_WEBHOOK.test(url.pathname))) {
    return 'must be a Slack incoming-webhook URL (https://hooks.slack.com/services/…)';
  }
  if (ipaddr.isValid(host) ? !isPublicAddress(host) : INTERNAL_HOST.test(host)) {
    return 'must not point at a private, loopback or link-local address';
  }
  if (!host.includes('.') && !ipaddr.isValid(host)) return 'must name a public host';
  return undefined;
}
