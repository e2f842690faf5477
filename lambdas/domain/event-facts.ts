import { EVENT_TYPES, eventHeadline, formatMinutes, type WatchEvent } from './events';
import { statusNotes } from './status-notes';
import { resourceLink, type ResourceLinkTemplates } from './slack-message';

/**
 * What a chat message says about one event, before any channel's syntax:
 * the Teams card and the Discord embed are both rendered from this, so the
 * two cannot disagree on what an event means.
 */
export interface EventFacts {
  /** `label: headline`, or the headline alone. */
  title: string;
  outcome: Outcome;
  subject: string;
  link: string | undefined;
  /** Name/value rows: each change as `from → to`, then grade, score and progress not already shown, then the last error. */
  facts: Array<{ name: string; value: string }>;
  /** Where the event comes from, for a footer. */
  context: string;
}

/**
 * How an event reads at a glance, for a colour: a resource that finished
 * (`success`) or failed (`failure`), a watch that needs attention (gone,
 * failing), or news (`info`: a move between running states, a test).
 */
export type Outcome = 'success' | 'failure' | 'attention' | 'info';

/** Both providers' terminal states (upstream-apis.md): datasets `succeeded`/`failed`, correction sessions `FINISHED`/`FAILED`. */
const SUCCESS_STATUSES = new Set(['succeeded', 'finished']);
const FAILURE_STATUSES = new Set(['failed', 'error']);

export function outcomeOf(event: WatchEvent): Outcome {
  switch (event.type) {
    case EVENT_TYPES.recovered:
    case EVENT_TYPES.resumed:
      return 'success';
    case EVENT_TYPES.gone:
    case EVENT_TYPES.failing:
    case EVENT_TYPES.stalled:
      return 'attention';
    case EVENT_TYPES.changed: {
      const status = event.data.changes.some((change) => change.field === 'status') ? event.data.current?.status.toLowerCase() : undefined;
      if (status !== undefined && SUCCESS_STATUSES.has(status)) return 'success';
      if (status !== undefined && FAILURE_STATUSES.has(status)) return 'failure';
      return 'info';
    }
    default:
      return 'info';
  }
}

const show = (value: string | number | null) => (value === null ? 'none' : String(value));

export function eventFacts(event: WatchEvent, links: ResourceLinkTemplates = {}): EventFacts {
  const { data } = event;
  const headline = eventHeadline(event);
  const facts: EventFacts['facts'] = [];
  for (const change of data.changes) facts.push({ name: change.field, value: `${show(change.from)} → ${show(change.to)}` });
  const changed = (field: string) => data.changes.some((change) => change.field === field);
  const current = data.current;
  if (current && !changed('status') && event.type !== EVENT_TYPES.test) facts.push({ name: 'status', value: current.status });
  if (current && !changed('grade') && current.grade !== null) facts.push({ name: 'grade', value: current.grade });
  if (current && !changed('score') && current.score !== null) facts.push({ name: 'score', value: String(current.score) });
  if (current && current.progressPercent !== null) facts.push({ name: 'progress', value: `${current.progressPercent}%` });
  if (data.stall) facts.push({ name: 'stood still', value: `${formatMinutes(data.stall.minutesWithoutMotion)} since ${data.stall.lastMovedAt}` });
  for (const note of statusNotes(current)) facts.push({ name: 'note', value: note });
  if (data.failure) facts.push({ name: 'last error', value: `${data.failure.kind}: ${data.failure.message.slice(0, 200)} (${data.failure.consecutiveFailures} polls in a row)` });
  return {
    title: data.label ? `${data.label}: ${headline}` : headline,
    outcome: outcomeOf(event),
    subject: event.subject,
    // The test event's resource is made up: nothing to link to.
    link: event.type === EVENT_TYPES.test ? undefined : resourceLink(event, links),
    facts,
    context: `Watch ${data.watchId} · team ${data.team} · ${event.time} · event ${event.id}`,
  };
}

/**
 * Cuts text to at most `limit` UTF-16 units (what both Discord and Teams
 * count), ending in `…` when it was cut, never splitting a surrogate pair.
 */
export function cutWithMarker(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * Escapes what would make a label or an upstream string into chat Markdown
 * (Discord's, and the CommonMark subset of Adaptive Card text): links
 * (`[…](…)`, `<…>`), emphasis, code, strike-through and spoilers, and a list or
 * heading at a line's start. An `_` inside a word (`in_progress`) opens no
 * emphasis in either, so it stays as it is and reads naturally.
 */
export function escapeChatMarkdown(text: string): string {
  return text
    .replace(/[\\`*~|[\]<>]/g, '\\$&')
    .replace(/_/g, (underscore, offset: number, whole: string) => {
      const word = /[A-Za-z0-9]/;
      return word.test(whole[offset - 1] ?? '') && word.test(whole[offset + 1] ?? '') ? underscore : '\\_';
    })
    .replace(/^(#{1,6}|[+-])(?=\s|$)/gm, '\\$1')
    .replace(/^(\d+)\.(?=\s|$)/gm, '$1\\.');
}
