import { describe, expect, it } from 'vitest';
import { refuseSubscriptionUrl } from '../../lambdas/domain/url-policy';

/**
 * The URL forms each chat service hands out, as its documentation and the
 * notifiers that track them show (see url-policy.ts): Teams Workflows on
 * Power Platform and Logic Apps hosts, Discord's execute-webhook URL.
 */
const POWER_PLATFORM =
  'https://942ead725f3ae61fb3309f7e87a28a.4a.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/b950a56150be4c05b3ace20939dcfd32/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=tFs9LpcdsN1pG3OGt8lUzSvoT9b3kU9ttXVmxiETPXE';
const POWER_PLATFORM_ROUTED =
  'https://942ead725f3ae61fb3309f7e87a28a.4a.environment.api.powerplatform.com/powerautomate/automations/direct/cu/04/workflows/b950a56150be4c05b3ace20939dcfd32/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc';
const LOGIC_APPS =
  'https://prod-06.westeurope.logic.azure.com:443/workflows/7d72835f7967/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=qKlYGnagAbKVw';
const DISCORD = 'https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-abcdefghij';

const strict = { allowLoopback: false };
const local = { allowLoopback: true };

describe('Teams URLs', () => {
  it.each([[POWER_PLATFORM], [POWER_PLATFORM_ROUTED], [LOGIC_APPS]])('admits the Workflows trigger form %s', (url) => {
    expect(refuseSubscriptionUrl(url, 'teams', strict)).toBeUndefined();
  });

  it.each([
    ['a retired Office 365 connector', 'https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d', 'Teams Workflows'],
    ['another host with the same path', LOGIC_APPS.replace('logic.azure.com', 'logic.azure.com.evil.example'), 'Teams Workflows'],
    ['a look-alike host', POWER_PLATFORM.replace('environment.api.powerplatform.com', 'environment-api-powerplatform.com'), 'Teams Workflows'],
    ['another path on the host', 'https://prod-06.westeurope.logic.azure.com/subscriptions/x?sig=1', 'Teams Workflows'],
    ['a port of its own', LOGIC_APPS.replace(':443', ':8443'), 'Teams Workflows'],
    ['http', LOGIC_APPS.replace('https:', 'http:'), 'must use https'],
    ['a trigger that needs Entra ID (no sig)', POWER_PLATFORM.replace(/&sig=[^&]+/, ''), 'sig parameter'],
    ['a Discord URL', DISCORD, 'Teams Workflows'],
  ])('refuses %s', (_what, url, reason) => {
    expect(refuseSubscriptionUrl(url, 'teams', strict)).toContain(reason);
  });
});

describe('Discord URLs', () => {
  it.each([
    [DISCORD],
    [DISCORD.replace('/api/', '/api/v10/')],
    [DISCORD.replace('discord.com', 'discordapp.com')],
    [DISCORD.replace('discord.com', 'canary.discord.com')],
    [DISCORD.replace('discord.com', 'discord.com:443')],
  ])('admits %s', (url) => {
    expect(refuseSubscriptionUrl(url, 'discord', strict)).toBeUndefined();
  });

  it.each([
    ['another host', DISCORD.replace('discord.com', 'discord.com.evil.example'), 'Discord webhook URL'],
    ['a sub-host Discord does not hand out', DISCORD.replace('discord.com', 'cdn.discord.com'), 'Discord webhook URL'],
    ['a port of its own', DISCORD.replace('discord.com', 'discord.com:8443'), 'Discord webhook URL'],
    ['a webhook without its token', 'https://discord.com/api/webhooks/1234567890123456789', 'Discord webhook URL'],
    ['an id that is not a snowflake', 'https://discord.com/api/webhooks/abc/AbCdEfGhIjKlMnOpQrStUvWxYz', 'Discord webhook URL'],
    ['another API path', 'https://discord.com/api/channels/1234567890123456789/messages', 'Discord webhook URL'],
    ['http', DISCORD.replace('https:', 'http:'), 'must use https'],
    ['a Slack URL', 'https://hooks.slack.com/services/T000/B000/XXXX', 'Discord webhook URL'],
  ])('refuses %s', (_what, url, reason) => {
    expect(refuseSubscriptionUrl(url, 'discord', strict)).toContain(reason);
  });
});

describe('the local switch', () => {
  it('admits loopback receivers of any shape for chat channels, as for Slack and webhooks', () => {
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/teams', 'teams', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/discord', 'discord', local)).toBeUndefined();
    expect(refuseSubscriptionUrl('http://127.0.0.1:9999/discord', 'discord', strict)).toBe('must use https');
    expect(refuseSubscriptionUrl('http://10.0.0.1/discord', 'discord', local)).toBe('must use https');
  });
});
