import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import {
  boundMessage,
  DISCORD_COLOURS,
  DISCORD_LIMITS,
  discordMessage,
  embedCharacters,
  readDiscordRefusal,
  type DiscordEmbed,
  type DiscordMessage,
} from '../../lambdas/domain/discord-message';
import { AT, EVENTS_BY_TYPE } from '../support/event-types';

const links = { dataset: 'https://app.example.com/datasets/{datasetId}' };

/** Discord's documented limits on an execute-webhook body (developer docs, "Execute Webhook", "Embed Limits"). */
function expectWithinDiscordLimits(message: DiscordMessage) {
  expect(message.content?.length ?? 0).toBeLessThanOrEqual(2_000);
  expect(message.embeds.length).toBeGreaterThan(0);
  expect(message.embeds.length).toBeLessThanOrEqual(10);
  expect(message.allowed_mentions).toEqual({ parse: [] });
  let total = 0;
  for (const embed of message.embeds) {
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.description?.length ?? 0).toBeLessThanOrEqual(4_096);
    expect(embed.fields.length).toBeLessThanOrEqual(25);
    for (const field of embed.fields) {
      expect(field.name.length).toBeGreaterThan(0);
      expect(field.name.length).toBeLessThanOrEqual(256);
      expect(field.value.length).toBeGreaterThan(0);
      expect(field.value.length).toBeLessThanOrEqual(1_024);
    }
    expect(embed.footer.text.length).toBeLessThanOrEqual(2_048);
    expect(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff).toBe(true);
    total += embedCharacters(embed);
  }
  expect(total).toBeLessThanOrEqual(6_000);
}

const footer = (eventId: string, watchId = 'w_1') => ({ text: `Watch ${watchId} · team team-a · 2026-11-24T10:00:00.000Z · event ${eventId}` });

describe('discordMessage, whole payloads per event type', () => {
  it('resource.changed: one embed, green for a success, linked, the changes as fields', () => {
    const event = EVENTS_BY_TYPE.changed;

    expect(discordMessage(event, links)).toEqual({
      embeds: [
        {
          title: 'nightly eval: dataset ds_42: running → succeeded (grade none → B)',
          url: 'https://app.example.com/datasets/ds_42',
          color: 0x2eb67d,
          fields: [
            { name: 'Resource', value: 'datasets/ds_42', inline: true },
            { name: 'status', value: 'running → succeeded', inline: true },
            { name: 'grade', value: 'none → B', inline: true },
            { name: 'score', value: '0.81', inline: true },
          ],
          footer: footer(event.id),
          timestamp: '2026-11-24T10:00:00.000Z',
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('resource.gone: amber', () => {
    const event = EVENTS_BY_TYPE.gone;

    expect(discordMessage(event, links)).toEqual({
      embeds: [
        {
          title: 'nightly eval: dataset ds_42: no longer exists upstream',
          url: 'https://app.example.com/datasets/ds_42',
          color: 0xecb22e,
          fields: [{ name: 'Resource', value: 'datasets/ds_42', inline: true }],
          footer: footer(event.id),
          timestamp: '2026-11-24T10:00:00.000Z',
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('watch.failing: amber, the last error as a full-width field, unlinked where no template is set', () => {
    const event = EVENTS_BY_TYPE.failing;

    expect(discordMessage(event, links)).toEqual({
      embeds: [
        {
          title: 'correction 7/42: polling is failing (unavailable)',
          color: 0xecb22e,
          fields: [
            { name: 'Resource', value: 'projects/7/corrections/42', inline: true },
            { name: 'status', value: 'running', inline: true },
            { name: 'progress', value: '50%', inline: true },
            { name: 'last error', value: 'unavailable: projects/7/corrections/42: upstream answered 503 (5 polls in a row)', inline: false },
          ],
          footer: footer(event.id),
          timestamp: '2026-11-24T10:00:00.000Z',
        },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('watch.recovered: green, with the fresh state', () => {
    const event = EVENTS_BY_TYPE.recovered;

    expect(discordMessage(event, links).embeds).toEqual([
      {
        title: 'nightly eval: dataset ds_42: polling recovered',
        url: 'https://app.example.com/datasets/ds_42',
        color: 0x2eb67d,
        fields: [
          { name: 'Resource', value: 'datasets/ds_42', inline: true },
          { name: 'status', value: 'running', inline: true },
          { name: 'progress', value: '80%', inline: true },
        ],
        footer: footer(event.id),
        timestamp: '2026-11-24T10:00:00.000Z',
      },
    ]);
  });

  it('the test event: blue and unlinked', () => {
    const event = EVENTS_BY_TYPE.test;

    expect(discordMessage(event, links).embeds).toEqual([
      {
        title: 'Test notification: dataset test: test notification',
        color: 0x3b88c3,
        fields: [{ name: 'Resource', value: 'datasets/test', inline: true }],
        footer: footer(event.id, 'test'),
        timestamp: '2026-11-24T10:00:00.000Z',
      },
    ]);
  });

  it.each(Object.entries(EVENTS_BY_TYPE))('%s stays within Discord’s limits', (_type, event) => {
    expectWithinDiscordLimits(discordMessage(event, links));
  });

  it('colours a failed resource red', () => {
    const failed = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'ds_1' } },
      version: 2, time: AT, type: EVENT_TYPES.changed,
      changes: [{ field: 'status', from: 'running', to: 'failed' }],
      previous: null, current: { status: 'failed', grade: null, score: null, progressPercent: null, details: {} },
    });

    expect(discordMessage(failed).embeds[0]?.color).toBe(DISCORD_COLOURS.failure);
    expect(DISCORD_COLOURS.failure).toBe(0xe01e5a);
  });
});

describe('Discord limits: cut with a marker, never refused', () => {
  it('cuts a 5,000-character failure to the field limit, ending in …', () => {
    const long = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: 'L'.repeat(300), resource: { type: 'dataset', datasetId: 'ds_1' } },
      version: 1, time: AT, type: EVENT_TYPES.failing, previous: null, current: null,
      failure: { kind: 'malformed', message: 'x'.repeat(5_000), consecutiveFailures: 5 },
    });

    const [embed] = discordMessage(long).embeds;

    expect(embed?.title).toHaveLength(256);
    expect(embed?.title.endsWith('…')).toBe(true);
    expectWithinDiscordLimits(discordMessage(long));
  });

  it('fits content, embeds, fields and the 6,000 total, marking every cut', () => {
    const huge: DiscordEmbed = {
      title: 't'.repeat(400),
      description: 'd'.repeat(5_000),
      color: 1,
      fields: Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`.padEnd(300, 'n'), value: 'v'.repeat(2_000), inline: true })),
      footer: { text: 'f'.repeat(3_000) },
    };

    const bounded = boundMessage({ content: 'c'.repeat(2_500), embeds: Array.from({ length: 12 }, () => huge), allowed_mentions: { parse: [] } });

    expect(bounded.content).toHaveLength(DISCORD_LIMITS.content);
    expect(bounded.content?.endsWith('…')).toBe(true);
    // 12 embeds of 25+ fields each: 2 over the 10, 9 more for room, then fields of the first.
    expect(bounded.embeds).toHaveLength(1);
    expect(bounded.embeds[0]?.footer.text).toMatch(/ · \d+ more left out \(Discord's limits\)$/);
    expectWithinDiscordLimits(bounded);
  });

  it('shortens the longest description first to bring several embeds under 6,000', () => {
    const embed = (description: string): DiscordEmbed => ({ title: 'x', description, color: 1, fields: [], footer: { text: 'f' } });

    const bounded = boundMessage({ embeds: [embed('a'.repeat(4_000)), embed('b'.repeat(2_500))], allowed_mentions: { parse: [] } });

    expect(bounded.embeds.map((e) => e.description?.length)).toEqual([6_000 - 2_500 - 4, 2_500]);
    expect(bounded.embeds[0]?.description?.endsWith('…')).toBe(true);
    expect(bounded.embeds.reduce((sum, e) => sum + embedCharacters(e), 0)).toBe(6_000);
  });

  it('never splits a surrogate pair when it cuts', () => {
    const bounded = boundMessage({ content: `${'a'.repeat(1_998)}😀😀`, embeds: [{ title: 't', color: 1, fields: [], footer: { text: 'f' } }], allowed_mentions: { parse: [] } });

    expect(bounded.content).toBe(`${'a'.repeat(1_998)}…`);
  });

  it('escapes a label’s Markdown and parses no mentions', () => {
    const event = { ...EVENTS_BY_TYPE.failing, data: { ...EVENTS_BY_TYPE.failing.data, failure: { kind: 'malformed', message: '@everyone [free](https://evil.example) ||spoiler||', consecutiveFailures: 5 } } };

    const message = discordMessage(event);

    expect(message.embeds[0]?.fields.at(-1)?.value).toBe('malformed: @everyone \\[free\\](https://evil.example) \\|\\|spoiler\\|\\| (5 polls in a row)');
    expect(message.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('readDiscordRefusal', () => {
  it('reads a 429’s retry_after in seconds, fractions rounded up to the millisecond', () => {
    expect(readDiscordRefusal(429, '{"message":"You are being rate limited.","retry_after":1.2345,"global":false}')).toEqual({ retryAfterMs: 1_235, gone: false });
    expect(readDiscordRefusal(429, '{"retry_after":0}')).toEqual({ retryAfterMs: 0, gone: false });
  });

  it('ignores a retry_after that is missing, negative, not a number, or on another status', () => {
    expect(readDiscordRefusal(429, '{"message":"slow down"}')).toEqual({ gone: false });
    expect(readDiscordRefusal(429, '{"retry_after":-1}')).toEqual({ gone: false });
    expect(readDiscordRefusal(429, '{"retry_after":"5"}')).toEqual({ gone: false });
    expect(readDiscordRefusal(429, 'not json')).toEqual({ gone: false });
    expect(readDiscordRefusal(429, undefined)).toEqual({ gone: false });
    expect(readDiscordRefusal(500, '{"retry_after":5}')).toEqual({ gone: false });
  });

  it('reads a 404 with code 10015 (Unknown Webhook) as gone, and no other', () => {
    expect(readDiscordRefusal(404, '{"message":"Unknown Webhook","code":10015}')).toEqual({ gone: true });
    expect(readDiscordRefusal(404, '{"message":"Unknown Channel","code":10003}')).toEqual({ gone: false });
    expect(readDiscordRefusal(400, '{"code":10015}')).toEqual({ gone: false });
    expect(readDiscordRefusal(404, 'null')).toEqual({ gone: false });
  });
});
