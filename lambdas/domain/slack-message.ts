import { declarationOf, type ResourceType } from './resource';
import { clockTime, digestSummary } from './digest';
import { EVENT_TYPES, eventHeadline, formatMinutes, type EventType, type WatchEvent } from './events';
import { cutText } from './snapshot';
import { statusNotes } from './status-notes';

/**
 * Templates for links to a resource's page in its provider's web app, e.g.
 * `https://app.example.com/datasets/{datasetId}`. Neither provider documents
 * such URLs, so there are none unless an operator configures them.
 */
export type ResourceLinkTemplates = { [T in ResourceType]?: string | undefined };

export function resourceLink(event: WatchEvent, templates: ResourceLinkTemplates): string | undefined {
  const resource = event.data.resource;
  const template = templates[resource.type];
  if (!template) return undefined;
  const values = declarationOf(resource.type).linkValues(resource);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (values[name] !== undefined ? encodeURIComponent(values[name]) : whole));
}

/** Lifecycle events that need attention get the warning sign; good news a check mark. */
const EMOJI: Partial<Record<EventType, string>> = {
  [EVENT_TYPES.changed]: ':large_blue_circle:',
  [EVENT_TYPES.recovered]: ':white_check_mark:',
  [EVENT_TYPES.resumed]: ':white_check_mark:',
  [EVENT_TYPES.stalled]: ':hourglass:',
};

function value(v: string | number | null): string {
  return v === null ? '_none_' : `\`${escapeMrkdwn(String(v))}\``;
}

/**
 * A Slack Block Kit message for an event, with a plain `text` fallback for
 * notifications and clients that do not render blocks.
 */
export function slackMessage(event: WatchEvent, links: ResourceLinkTemplates = {}): { text: string; blocks: unknown[] } {
  const { data } = event;
  const headline = eventHeadline(event);
  const title = data.label ? `${data.label}: ${headline}` : headline;
  const link = resourceLink(event, links);
  const subject = escapeMrkdwn(event.subject);
  const fields: Array<{ type: 'mrkdwn'; text: string }> = [{ type: 'mrkdwn', text: `*Resource*\n${link ? `<${link}|${subject}>` : `\`${subject}\``}` }];
  for (const change of data.changes) {
    fields.push({ type: 'mrkdwn', text: `*${change.field}*\n${value(change.from)} → ${value(change.to)}` });
  }
  const current = data.current;
  const type = declarationOf(data.resource.type);
  if (current && !data.changes.some((c) => c.field === 'grade') && current.grade !== null) fields.push({ type: 'mrkdwn', text: `*grade*\n${value(current.grade)}` });
  // A run's score is its best win rate, which changes as `winRate`.
  if (current && !data.changes.some((c) => c.field === 'score' || c.field === 'winRate') && current.score !== null) {
    fields.push({ type: 'mrkdwn', text: `*${type.scoreLabel}*\n${value(current.score)}` });
  }
  if (data.stall) {
    fields.push({ type: 'mrkdwn', text: `*stood still*\n${formatMinutes(data.stall.minutesWithoutMotion)} since ${escapeMrkdwn(data.stall.lastMovedAt)}` });
    fields.push({ type: 'mrkdwn', text: `*progress then*\n${data.stall.lastProgressPercent === null ? '_not reported_' : `${data.stall.lastProgressPercent}%`}` });
  }
  if (data.failure) fields.push({ type: 'mrkdwn', text: `*last error*\n${escapeMrkdwn(data.failure.kind)}: ${escapeMrkdwn(data.failure.message.slice(0, 200))}` });

  const notes = statusNotes(data.current);
  const summary = current ? type.summary?.(current) : undefined;
  const emoji = EMOJI[event.type] ?? ':warning:';
  return {
    // Slack reads <!channel>, <@U…> and <url|text> in every text field, the fallback included.
    text: escapeMrkdwn(title),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${escapeMrkdwn(title)}*` } },
      ...(summary ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(summary) } }] : []),
      { type: 'section', fields: fields.slice(0, 10) },
      ...(notes.length > 0 ? [{ type: 'section', text: { type: 'mrkdwn', text: notes.map(escapeMrkdwn).join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`Watch \`${data.watchId}\` · team \`${data.team}\` · ${event.time} · event \`${event.id}\``) }] },
    ],
  };
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One Slack message for a digest: a line per event under its watch, the
 * watch's newest state last, and how many more past the list's limit.
 * Within Slack's limits of 50 blocks and 3,000 characters a section.
 */
export function slackDigest(events: readonly WatchEvent[], releaseAt: Date): { text: string; blocks: unknown[] } {
  const summary = digestSummary(events, releaseAt);
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: `*${escapeMrkdwn(summary.title)}*` } }];
  for (const group of summary.groups) {
    const lines = group.events.map((event) => `• \`${clockTime(event)}\` ${escapeMrkdwn(eventHeadline(event))}`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cutText(`*${escapeMrkdwn(group.title)}*\n${lines.join('\n')}`, 3_000) } });
  }
  if (summary.more > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `and ${summary.more} more` }] });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(summary.context) }] });
  return { text: escapeMrkdwn(summary.more > 0 ? `${summary.title} (${summary.more} not listed)` : summary.title), blocks: blocks.slice(0, 50) };
}
