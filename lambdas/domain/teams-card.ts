import { clockTime, digestSummary } from './digest';
import { eventHeadline, type WatchEvent } from './events';
import { cutWithMarker, escapeChatMarkdown, eventFacts, outcomeOf, type EventFacts, type Outcome } from './event-facts';
import type { ResourceLinkTemplates } from './slack-message';

/**
 * Microsoft Teams, through a Workflows webhook trigger, takes Adaptive
 * Cards only (Office 365 connectors and their MessageCards are retired):
 * a `message` activity whose one attachment is the card. Teams renders
 * Adaptive Cards up to schema version 1.5 (Microsoft's Copilot Studio
 * guidance: "Teams is also limited to version 1.5"), so the cards name that
 * version and the schema they follow, and use only 1.0-era elements
 * (TextBlock, FactSet, Action.OpenUrl) that every Teams client draws.
 */
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const ADAPTIVE_CARD_VERSION = '1.5';
export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/**
 * Teams refuses messages over about 28 KB (Microsoft's "Limits and
 * specifications for Teams"); what Watchpost puts in a card is cut well
 * below that: each text to these lengths, a digest to TEAMS_DIGEST_ITEMS.
 */
export const TEAMS_LIMITS = { title: 300, factValue: 500, context: 400 } as const;

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

export interface AdaptiveCard {
  $schema: typeof ADAPTIVE_CARD_SCHEMA;
  type: 'AdaptiveCard';
  version: typeof ADAPTIVE_CARD_VERSION;
  /** What a client that cannot draw the card shows instead (and what notifications read). */
  fallbackText: string;
  msteams: { width: 'Full' };
  body: unknown[];
  actions?: unknown[];
}

/** Adaptive Card TextBlock colours (the host's palette, so light and dark themes both read). */
const COLOUR: Record<Outcome, string> = { success: 'Good', failure: 'Attention', attention: 'Warning', info: 'Accent' };

/** Adaptive Card text is Markdown (a CommonMark subset): a label or an upstream status must not turn into a link or formatting. */
export const escapeTeamsMarkdown = escapeChatMarkdown;

function factSet(facts: EventFacts['facts'], subject: string) {
  return {
    type: 'FactSet',
    facts: [{ title: 'Resource', value: escapeTeamsMarkdown(subject) }, ...facts.map((fact) => ({ title: fact.name, value: escapeTeamsMarkdown(cutWithMarker(fact.value, TEAMS_LIMITS.factValue)) }))],
  };
}

export function card(fallbackText: string, body: unknown[], actions: unknown[]): TeamsMessage {
  const content: AdaptiveCard = {
    $schema: ADAPTIVE_CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: ADAPTIVE_CARD_VERSION,
    fallbackText,
    msteams: { width: 'Full' },
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content }] };
}

/** The card for one event: title in the outcome's colour, the facts, a footer, and a link when one is configured. */
export function teamsMessage(event: WatchEvent, links: ResourceLinkTemplates = {}): TeamsMessage {
  const facts = eventFacts(event, links);
  const title = cutWithMarker(facts.title, TEAMS_LIMITS.title);
  return card(
    title,
    [
      { type: 'TextBlock', text: escapeTeamsMarkdown(title), weight: 'Bolder', size: 'Medium', color: COLOUR[facts.outcome], wrap: true },
      factSet(facts.facts, facts.subject),
      { type: 'TextBlock', text: escapeTeamsMarkdown(cutWithMarker(facts.context, TEAMS_LIMITS.context)), isSubtle: true, size: 'Small', wrap: true },
    ],
    facts.link ? [{ type: 'Action.OpenUrl', title: `Open ${facts.subject}`, url: facts.link }] : [],
  );
}

export { COLOUR as TEAMS_COLOURS };

/** One card for a digest: a fact per event (its time, what happened) under its watch, newest last, and how many more. */
export function teamsDigest(events: readonly WatchEvent[], releaseAt: Date): TeamsMessage {
  const summary = digestSummary(events, releaseAt);
  const body: unknown[] = [{ type: 'TextBlock', text: escapeTeamsMarkdown(summary.title), weight: 'Bolder', size: 'Medium', wrap: true }];
  for (const group of summary.groups) {
    const newest = group.events[group.events.length - 1] as WatchEvent;
    body.push(
      { type: 'TextBlock', text: escapeTeamsMarkdown(cutWithMarker(group.title, TEAMS_LIMITS.title)), weight: 'Bolder', color: COLOUR[outcomeOf(newest)], wrap: true, spacing: 'Medium' },
      { type: 'FactSet', facts: group.events.map((event) => ({ title: clockTime(event), value: escapeTeamsMarkdown(cutWithMarker(eventHeadline(event), TEAMS_LIMITS.factValue)) })) },
    );
  }
  if (summary.more > 0) body.push({ type: 'TextBlock', text: `and ${summary.more} more`, wrap: true });
  body.push({ type: 'TextBlock', text: escapeTeamsMarkdown(summary.context), isSubtle: true, size: 'Small', wrap: true });
  return card(summary.more > 0 ? `${summary.title} (${summary.more} not listed)` : summary.title, body, []);
}
