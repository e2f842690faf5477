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

/** ipaddr.js's range name (`unicast`, `private`, `loopback`, …), or undefined for a non-address. */
function addressRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  let parsed = ipaddr.parse(address);
  // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it maps.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range();
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
