import { clockTime, digestSummary } from './digest';
import { eventHeadline, type WatchEvent } from './events';
import { cutWithMarker, escapeChatMarkdown, eventFacts, outcomeOf, type Outcome } from './event-facts';
import type { ResourceLinkTemplates } from './slack-message';

/**
 * Discord's limits on an execute-webhook message (Discord developer docs,
 * "Execute Webhook" and "Embed Limits"): `content` up to 2,000 characters,
 * up to 10 embeds, each with a title of 256, a description of 4,096, up to
 * 25 fields (name 256, value 1,024) and a footer of 2,048, and 6,000
 * characters across all embeds of the message. A message over any of them is
 * refused with a 400, so Watchpost cuts (with `…`) instead; it never drops
 * an event for its length.
 */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  totalEmbedCharacters: 6_000,
} as const;

/** One colour per outcome (Discord takes an integer RGB). */
export const DISCORD_COLOURS: Record<Outcome, number> = { success: 0x2eb67d, failure: 0xe01e5a, attention: 0xecb22e, info: 0x3b88c3 };

export interface DiscordEmbed {
  title: string;
  url?: string;
  description?: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp?: string;
}

export interface DiscordMessage {
  content?: string;
  embeds: DiscordEmbed[];
  /** No mention in a label or status pings anyone: Discord parses none. */
  allowed_mentions: { parse: [] };
}

/** Discord Markdown: a label or an upstream status must not become formatting, a masked link or a spoiler. */
export const escapeDiscordMarkdown = escapeChatMarkdown;

/** Characters Discord counts toward the 6,000 of a message's embeds. */
export function embedCharacters(embed: DiscordEmbed): number {
  return embed.title.length + (embed.description?.length ?? 0) + embed.footer.text.length + embed.fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
}

/** An embed cut to Discord's per-part limits. */
export function boundEmbed(embed: DiscordEmbed): DiscordEmbed {
  return {
    ...embed,
    title: cutWithMarker(embed.title, DISCORD_LIMITS.title),
    ...(embed.description !== undefined ? { description: cutWithMarker(embed.description, DISCORD_LIMITS.description) } : {}),
    fields: embed.fields.slice(0, DISCORD_LIMITS.fields).map((field) => ({
      ...field,
      name: cutWithMarker(field.name, DISCORD_LIMITS.fieldName),
      value: cutWithMarker(field.value, DISCORD_LIMITS.fieldValue),
    })),
    footer: { text: cutWithMarker(embed.footer.text, DISCORD_LIMITS.footer) },
  };
}

/**
 * Fits a message into Discord's limits: at most 10 embeds, each cut to its
 * parts' limits, then descriptions shortened (the longest first) until all
 * embeds together stay within 6,000 characters, then, if that was not
 * enough, the last embeds and fields left out, the footer saying how many;
 * content cut to 2,000.
 */
export function boundMessage(message: DiscordMessage): DiscordMessage {
  const embeds = message.embeds.slice(0, DISCORD_LIMITS.embeds).map(boundEmbed);
  let left = message.embeds.length - embeds.length;
  const total = () => embeds.reduce((sum, embed) => sum + embedCharacters(embed), 0);
  let over = total() - DISCORD_LIMITS.totalEmbedCharacters;
  while (over > 0) {
    const longest = embeds.reduce((best, embed) => ((embed.description?.length ?? 0) > (best.description?.length ?? 0) ? embed : best));
    const length = longest.description?.length ?? 0;
    if (length <= 1) break;
    longest.description = cutWithMarker(longest.description ?? '', Math.max(1, length - over));
    over -= length - longest.description.length;
  }
  // Descriptions alone did not make room (many fields): leave out the last embeds, then the last fields.
  while (over > 0 && embeds.length > 1) {
    over -= embedCharacters(embeds.pop() as DiscordEmbed);
    left += 1;
  }
  const last = embeds[embeds.length - 1] as DiscordEmbed;
  while (over > 0 && last.fields.length > 1) {
    const field = last.fields.pop() as DiscordEmbed['fields'][number];
    over -= field.name.length + field.value.length;
    left += 1;
  }
  if (left > 0) {
    // The marker goes in the footer, and the footer gives up room for it.
    const note = ` · ${left} more left out (Discord's limits)`;
    const room = DISCORD_LIMITS.totalEmbedCharacters - (total() - last.footer.text.length);
    last.footer = { text: cutWithMarker(`${cutWithMarker(last.footer.text, Math.max(1, DISCORD_LIMITS.footer - note.length))}${note}`, Math.max(note.length, room)) };
  }
  return {
    ...(message.content !== undefined ? { content: cutWithMarker(message.content, DISCORD_LIMITS.content) } : {}),
    embeds,
    allowed_mentions: { parse: [] },
  };
}

/** One embed per event, in the outcome's colour, linked to the resource when a link is configured. */
export function discordEmbed(event: WatchEvent, links: ResourceLinkTemplates = {}): DiscordEmbed {
  const facts = eventFacts(event, links);
  return boundEmbed({
    title: facts.title,
    ...(facts.link ? { url: facts.link } : {}),
    color: DISCORD_COLOURS[facts.outcome],
    fields: [
      { name: 'Resource', value: escapeDiscordMarkdown(facts.subject), inline: true },
      ...facts.facts.map((fact) => ({ name: fact.name, value: escapeDiscordMarkdown(fact.value), inline: fact.name !== 'last error' })),
    ],
    footer: { text: facts.context },
    timestamp: event.time,
  });
}

export function discordMessage(event: WatchEvent, links: ResourceLinkTemplates = {}): DiscordMessage {
  return boundMessage({ embeds: [discordEmbed(event, links)], allowed_mentions: { parse: [] } });
}

/** Discord's JSON error code for a webhook that was deleted ("Unknown Webhook"). */
export const DISCORD_UNKNOWN_WEBHOOK = 10015;

/**
 * What Discord's refusal body says, beyond the status code. A 429's body is
 * `{"message", "retry_after", "global"}` where `retry_after` is "the number
 * of seconds to wait before submitting another request" (Discord developer
 * docs, "Rate Limits"; a float, more precise than the Retry-After header,
 * which it wins over). A 404 with code 10015 means the webhook was deleted:
 * that is Discord's "gone".
 */
export function readDiscordRefusal(statusCode: number | undefined, body: string | undefined): { retryAfterMs?: number; gone: boolean } {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  const fields = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const gone = statusCode === 404 && fields.code === DISCORD_UNKNOWN_WEBHOOK;
  const seconds = fields.retry_after;
  if (statusCode === 429 && typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: Math.ceil(seconds * 1000), gone };
  return { gone };
}

/**
 * One Discord message for a digest: the count as content, an embed per
 * watch (a line per event, newest last, coloured by the newest), at most 10
 * embeds; watches past that, and events past the list's limit, are counted
 * in the content ("and 12 more").
 */
export function discordDigest(events: readonly WatchEvent[], releaseAt: Date): DiscordMessage {
  const summary = digestSummary(events, releaseAt);
  const shown = summary.groups.slice(0, DISCORD_LIMITS.embeds);
  const more = summary.more + summary.groups.slice(DISCORD_LIMITS.embeds).reduce((sum, group) => sum + group.events.length, 0);
  const embeds = shown.map((group) => {
    const newest = group.events[group.events.length - 1] as WatchEvent;
    return {
      title: group.title,
      description: group.events.map((event) => `\`${clockTime(event)}\` ${escapeDiscordMarkdown(eventHeadline(event))}`).join('\n'),
      color: DISCORD_COLOURS[outcomeOf(newest)],
      fields: [],
      footer: { text: summary.context },
      timestamp: newest.time,
    };
  });
  return boundMessage({ content: `**${summary.title}**${more > 0 ? `, and ${more} more` : ''}`, embeds, allowed_mentions: { parse: [] } });
}
