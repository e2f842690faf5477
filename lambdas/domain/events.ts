import { createHash } from 'node:crypto';
import { declarationOf, resourceShortName, resourceSubject, type ResourceRef } from './resource';
import type { FieldChange, Snapshot } from './snapshot';
import type { StallInfo } from './stall';
import { statusNotes } from './status-notes';

/** Every CloudEvents `type` Watchpost emits (documented in the README). */
export const EVENT_TYPES = {
  changed: 'io.watchpost.resource.changed',
  gone: 'io.watchpost.resource.gone',
  stalled: 'io.watchpost.resource.stalled',
  resumed: 'io.watchpost.resource.resumed',
  failing: 'io.watchpost.watch.failing',
  recovered: 'io.watchpost.watch.recovered',
  test: 'io.watchpost.subscription.test',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** The parts of a watch an event needs to describe itself. */
export interface WatchIdentity {
  watchId: string;
  team: string;
  label: string | null;
  resource: ResourceRef;
}

export interface PollFailure {
  kind: string;
  message: string;
  consecutiveFailures: number;
}

export interface WatchEventData {
  watchId: string;
  team: string;
  label: string | null;
  resource: ResourceRef;
  changes: FieldChange[];
  previous: Snapshot | null;
  current: Snapshot | null;
  failure?: PollFailure;
  /** resource.stalled and resource.resumed: how long it stood still, and at what progress. */
  stall?: StallInfo;
}

/** A CloudEvents 1.0 event in structured JSON mode. */
export interface WatchEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  subject: string;
  time: string;
  /**
   * CloudEvents `sequence` extension: the watch version the event was emitted
   * at, as a decimal string. Orders one watch's events.
   */
  sequence: string;
  datacontenttype: 'application/json';
  data: WatchEventData;
}

/**
 * What an event id is derived from besides the watch and its version: the
 * transition the event reports. Any event type fits (a new type needs nothing
 * here), because the id is taken from what the event says happened.
 */
export interface EventTransition {
  type: EventType;
  changes?: readonly FieldChange[] | undefined;
  previous: Snapshot | null;
  current: Snapshot | null;
  failure?: Pick<PollFailure, 'kind'> | undefined;
}

/** The end of a transition as its id sees it: the state, and which upstream run it belongs to. */
function transitionEnd(snapshot: Snapshot | null): [string, string | null] | null {
  if (snapshot === null) return null;
  const runId = snapshot.details.runId;
  return [snapshot.status, typeof runId === 'string' ? runId : null];
}

/**
 * The id of the event a watch emits at a version for one transition: a
 * SHA-256 over the watch, the version, the event type, each change (field,
 * from, to), the status and run id at either end, and the failure kind.
 * The same transition always gets the same id (a crash replay is
 * deduplicated by receivers), and two different transitions never share one,
 * even at the same version: a reused version cannot make a receiver drop a
 * real change as a duplicate. Context that is not the transition (time,
 * progress, names, messages) is left out, so it cannot split one transition
 * into two ids.
 */
export function eventIdFor(watchId: string, version: number, transition: EventTransition): string {
  const key = JSON.stringify([
    watchId,
    version,
    transition.type,
    (transition.changes ?? []).map((change) => [change.field, change.from, change.to]),
    transitionEnd(transition.previous),
    transitionEnd(transition.current),
    transition.failure?.kind ?? null,
  ]);
  const digest = createHash('sha256').update(key).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

interface EventInput {
  watch: WatchIdentity;
  version: number;
  time: Date;
  type: EventType;
  changes?: FieldChange[];
  previous: Snapshot | null;
  current: Snapshot | null;
  failure?: PollFailure;
  stall?: StallInfo;
}

export function buildWatchEvent(input: EventInput): WatchEvent {
  const { watch } = input;
  const data: WatchEventData = {
    watchId: watch.watchId,
    team: watch.team,
    label: watch.label,
    resource: watch.resource,
    changes: input.changes ?? [],
    previous: input.previous,
    current: input.current,
  };
  if (input.failure) data.failure = input.failure;
  if (input.stall) data.stall = input.stall;
  return {
    specversion: '1.0',
    id: eventIdFor(watch.watchId, input.version, input),
    source: `/watchpost/watches/${watch.watchId}`,
    type: input.type,
    subject: resourceSubject(watch.resource),
    time: input.time.toISOString(),
    sequence: String(input.version),
    datacontenttype: 'application/json',
    data,
  };
}

const SUBJECT_LIMIT = 99;

/** `59 min`, `1 h`, `2 h 5 min`. */
export function formatMinutes(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function progressNote(percent: number | null): string {
  return percent === null ? '' : ` at ${percent}%`;
}

function formatValue(value: string | number | null): string {
  return value === null ? 'none' : String(value);
}

function describeChanges(changes: FieldChange[]): string {
  const status = changes.find((c) => c.field === 'status');
  const others = changes
    .filter((c) => c.field !== 'status')
    .map((c) => `${c.field} ${formatValue(c.from)} → ${formatValue(c.to)}`);
  if (!status) return others.join(', ');
  const head = `${formatValue(status.from)} → ${formatValue(status.to)}`;
  return others.length > 0 ? `${head} (${others.join(', ')})` : head;
}

/**
 * One line that says what happened, e.g.
 * `dataset ds_42: running → succeeded (grade C → A)`. Used as the email
 * subject (SNS limits it to 100 characters) and as chat/notification titles.
 */
export function eventHeadline(event: WatchEvent): string {
  const name = resourceShortName(event.data.resource);
  let what: string;
  switch (event.type) {
    case EVENT_TYPES.changed:
      what = describeChanges(event.data.changes);
      break;
    case EVENT_TYPES.gone:
      what = 'no longer exists upstream';
      break;
    case EVENT_TYPES.failing:
      what = `polling is failing (${event.data.failure?.kind ?? 'error'})`;
      break;
    case EVENT_TYPES.recovered:
      what = 'polling recovered';
      break;
    case EVENT_TYPES.stalled:
      what = `stalled: no progress for ${formatMinutes(event.data.stall?.minutesWithoutMotion ?? 0)}${progressNote(event.data.stall?.lastProgressPercent ?? null)}`;
      break;
    case EVENT_TYPES.resumed:
      what = `moving again after ${formatMinutes(event.data.stall?.minutesWithoutMotion ?? 0)} (${event.data.stall?.resumedStatus ?? event.data.current?.status ?? 'unknown'})`;
      break;
    case EVENT_TYPES.test:
      what = 'test notification';
      break;
  }
  const line = `${name}: ${what}`;
  return line.length <= SUBJECT_LIMIT ? line : `${line.slice(0, SUBJECT_LIMIT - 1)}…`;
}

/** The plain-text body of an email notification. */
export function eventEmailText(event: WatchEvent): string {
  const { data } = event;
  const lines = [eventHeadline(event), ''];
  if (data.label) lines.push(`Watch:     ${data.label} (${data.watchId})`);
  else lines.push(`Watch:     ${data.watchId}`);
  lines.push(`Resource:  ${event.subject}`, `Team:      ${data.team}`, `When:      ${event.time}`);
  if (data.changes.length > 0) {
    lines.push('', 'Changes:');
    for (const change of data.changes) {
      lines.push(`  ${change.field}: ${formatValue(change.from)} → ${formatValue(change.to)}`);
    }
  }
  const current = data.current;
  if (current) {
    const type = declarationOf(data.resource.type);
    const summary = type.summary?.(current);
    lines.push('', 'Current state:');
    if (summary) lines.push(`  ${summary}`);
    lines.push(`  status: ${current.status}`);
    if (current.grade !== null) lines.push(`  grade: ${current.grade}`);
    if (current.score !== null) lines.push(`  ${type.scoreLabel}: ${current.score}`);
    if (current.progressPercent !== null) lines.push(`  progress: ${current.progressPercent}%`);
    for (const note of statusNotes(current)) lines.push('', note);
  }
  if (data.stall) {
    lines.push('', `Stood still for: ${formatMinutes(data.stall.minutesWithoutMotion)} (since ${data.stall.lastMovedAt}, Watchpost's clock)`);
    lines.push(`Progress then:   ${data.stall.lastProgressPercent === null ? 'not reported' : `${data.stall.lastProgressPercent}%`}`);
    if (data.stall.thresholdMinutes !== null) lines.push(`Stall threshold: ${formatMinutes(data.stall.thresholdMinutes)}`);
  }
  if (data.failure) {
    lines.push('', `Last error (${data.failure.kind}): ${data.failure.message}`);
    lines.push(`Consecutive failed polls: ${data.failure.consecutiveFailures}`);
  }
  lines.push('', `Event id: ${event.id}`);
  return lines.join('\n');
}
