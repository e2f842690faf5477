import ipaddr from 'ipaddr.js';
import type { PostedChannel } from './subscription';

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

/** Host names that only ever mean something inside a network (judged after normalizeHost). */
const INTERNAL_HOST = /(^|\.)(localhost|local|internal|intranet|home\.arpa)$/;

/**
 * A host as the policy judges it, so that every spelling of one name is
 * judged as that name: the brackets of an IPv6 literal removed, percent
 * escapes decoded (`localhost%2e`), lower case, and trailing dots removed
 * (`localhost.` is the fully qualified spelling of `localhost`). The URL
 * parser already decodes escapes and lowers case in the hosts it parses;
 * this does it again for any host that reaches the policy another way.
 */
export function normalizeHost(hostname: string): string {
  let host = hostname.replace(/^\[|\]$/g, '');
  try {
    host = decodeURIComponent(host);
  } catch {
    // A stray `%` stays as it is; such a host names nothing and is refused as not public.
  }
  return host.toLowerCase().replace(/\.+$/, '');
}

/** Whether a host name, in any spelling, names something only inside a network (`localhost.`, `x.internal`). */
export function isInternalHostName(hostname: string): boolean {
  return INTERNAL_HOST.test(normalizeHost(hostname));
}

export interface UrlPolicy {
  /** Local development only: admit http:// receivers on loopback. */
  allowLoopback: boolean;
}

const SLACK_WEBHOOK = /^\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+$/;

/**
 * The URLs a Teams Workflows "When a Teams webhook request is received"
 * trigger (or a Logic App's HTTP trigger) takes. Microsoft moved these
 * triggers from Logic Apps hosts
 * (`https://prod-NN.<region>.logic.azure.com:443/workflows/<id>/triggers/manual/paths/invoke?…&sig=…`)
 * to Power Platform hosts
 * (`https://<env>.<nn>.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/<id>/triggers/manual/paths/invoke?api-version=1&sp=…&sv=1.0&sig=…`),
 * some with routing segments such as `/direct/cu/04/workflows/` (as the
 * notifiers that track these forms found: shoutrrr #893 and #1147, PostHog
 * #69584). The `sig` parameter is the trigger's anonymous-caller signature:
 * without it the trigger wants an Entra ID token, which Watchpost does not have.
 */
const TEAMS_WORKFLOW_PATHS: ReadonlyArray<{ host: RegExp; path: RegExp }> = [
  { host: /^[a-z0-9-]+(\.[a-z0-9-]+)*\.logic\.azure\.com$/, path: /^\/workflows\/[A-Za-z0-9]+\/triggers\/[A-Za-z0-9_.-]+\/paths\/invoke\/?$/ },
  {
    host: /^[a-z0-9-]+(\.[a-z0-9-]+)*\.environment\.api\.powerplatform\.com$/,
    path: /^\/powerautomate\/automations\/direct\/([A-Za-z0-9-]+\/)*workflows\/[A-Za-z0-9]+\/triggers\/[A-Za-z0-9_.-]+\/paths\/invoke\/?$/,
  },
];

/**
 * Discord's execute-webhook URL: `https://discord.com/api/webhooks/{webhook.id}/{webhook.token}`
 * (Discord developer docs, Webhook resource), an API version segment
 * allowed, and the older `discordapp.com` and the canary/ptb hosts that
 * Discord's clients hand out too.
 */
const DISCORD_HOST = /^((canary|ptb)\.)?discord(app)?\.com$/;
const DISCORD_WEBHOOK = /^\/api(\/v\d+)?\/webhooks\/\d{5,25}\/[A-Za-z0-9_-]{20,200}\/?$/;

/** Why a URL is not the channel's own form, or undefined when it is. */
function refuseChannelForm(url: URL, host: string, channel: PostedChannel): string | undefined {
  // An explicit port other than https's own is never one of these services.
  const defaultPort = url.port === '' || url.port === '443';
  switch (channel) {
    case 'slack':
      return host === 'hooks.slack.com' && defaultPort && SLACK_WEBHOOK.test(url.pathname)
        ? undefined
        : 'must be a Slack incoming-webhook URL (https://hooks.slack.com/services/…)';
    case 'teams': {
      const form = TEAMS_WORKFLOW_PATHS.find((candidate) => candidate.host.test(host));
      if (!form || !defaultPort || !form.path.test(url.pathname)) {
        return 'must be the URL of a Teams Workflows "When a Teams webhook request is received" trigger (https://….environment.api.powerplatform.com/powerautomate/automations/direct/workflows/…/triggers/manual/paths/invoke?… or https://….logic.azure.com/workflows/…/triggers/manual/paths/invoke?…)';
      }
      if (!url.searchParams.get('sig')) return 'must carry the trigger’s sig parameter: set the trigger to “Anyone” can trigger the flow, and copy the whole URL';
      return undefined;
    }
    case 'discord':
      return DISCORD_HOST.test(host) && defaultPort && DISCORD_WEBHOOK.test(url.pathname)
        ? undefined
        : 'must be a Discord webhook URL (https://discord.com/api/webhooks/{id}/{token})';
    case 'webhook':
      return undefined;
  }
}

/**
 * Checks a subscription URL when it is registered; returns why it is refused,
 * or undefined. Host names are resolved and checked again at delivery time.
 * Chat channels take only their service's documented URL forms; a webhook
 * any public https URL.
 */
export function refuseSubscriptionUrl(raw: string, channel: PostedChannel, policy: UrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  const host = normalizeHost(url.hostname);
  const loopback = isLoopbackAddress(host) || host === 'localhost';
  if (policy.allowLoopback && loopback && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined;

  if (url.protocol !== 'https:') return 'must use https';
  const notTheForm = refuseChannelForm(url, host, channel);
  if (notTheForm) return notTheForm;
  if (ipaddr.isValid(host) ? !isPublicAddress(host) : INTERNAL_HOST.test(host)) {
    return 'must not point at a private, loopback or link-local address';
  }
  if (!host.includes('.') && !ipaddr.isValid(host)) return 'must name a public host';
  return undefined;
}
