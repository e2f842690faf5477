import { EVENT_TYPES, type WatchEvent } from './events';

/**
 * A subscription's quiet hours: a daily window, in the team's own time zone,
 * during which events are held and delivered when it ends, except those the
 * team marks as urgent. Pure: the clock is the caller's.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface QuietHours {
  /** An IANA time zone, e.g. `Europe/Vienna`: windows follow its daylight-saving changes. */
  timeZone: string;
  /** Local `HH:MM` the window starts at. */
  from: string;
  /** Local `HH:MM` it ends at; earlier than `from` means the next day (a window across midnight). */
  to: string;
  /** The days a window starts on (a Friday 19:00–08:00 window ends on Saturday); all days when absent. */
  days?: Weekday[] | undefined;
  /** What is delivered at once even inside the window. */
  except?: { eventTypes?: string[] | undefined; statuses?: string[] | undefined } | undefined;
}

export const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Whether the runtime knows this IANA zone (Intl refuses the others). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, format);
  }
  return format;
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function zoneOffsetMs(zone: string, instant: number): number {
  const parts = formatter(zone).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a local wall-clock time names in a zone. Around a
 * daylight-saving change, as Temporal's `compatible` does: a time that
 * happens twice (clocks going back) is its first occurrence, a time that
 * never happens (clocks going forward) is moved on by the gap, so 02:30 on
 * the spring-forward night in Vienna is 03:30 summer time.
 */
export function localToInstant(zone: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // The offsets half a day either side bracket any change on that date.
  const before = zoneOffsetMs(zone, wall - 12 * 3_600_000);
  const after = zoneOffsetMs(zone, wall + 12 * 3_600_000);
  const candidates = [wall - before, wall - after].filter((instant) => zoneOffsetMs(zone, instant) === wall - instant);
  if (candidates.length === 0) return wall - before;
  return Math.min(...candidates);
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function localDateOf(zone: string, instant: number): LocalDate {
  const local = new Date(instant + zoneOffsetMs(zone, instant));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1, day: local.getUTCDate() };
}

function addDays(date: LocalDate, days: number): LocalDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

function weekdayOf(date: LocalDate): Weekday {
  // getUTCDay: 0 is Sunday.
  return WEEKDAYS[(new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7] as Weekday;
}

function at(zone: string, date: LocalDate, time: string): number {
  const [, hours, minutes] = LOCAL_TIME.exec(time) as RegExpExecArray;
  return localToInstant(zone, date.year, date.month, date.day, Number(hours), Number(minutes));
}

/**
 * When the quiet window `instant` falls in ends, or undefined when it falls
 * in none. A window runs from `from` on a day it starts (every day, or
 * `days`) to the next `to` after it: the same day, or the next one when `to`
 * is not after `from`. The start is inside the window, the end is not.
 */
export function quietWindowEnd(quiet: QuietHours, instant: Date): Date | undefined {
  const now = instant.getTime();
  const crossesMidnight = quiet.to <= quiet.from;
  const today = localDateOf(quiet.timeZone, now);
  // A window that crosses midnight may have started yesterday.
  for (const offset of [-1, 0]) {
    const startDay = addDays(today, offset);
    if (quiet.days && !quiet.days.includes(weekdayOf(startDay))) continue;
    const start = at(quiet.timeZone, startDay, quiet.from);
    const end = at(quiet.timeZone, crossesMidnight ? addDays(startDay, 1) : startDay, quiet.to);
    if (start <= now && now < end) return new Date(end);
  }
  return undefined;
}

/**
 * Whether the subscription wants this event at once even during its quiet
 * hours: its type is one of `except.eventTypes` (as filters name them,
 * e.g. `watch.failing`), or it is a change to one of `except.statuses`.
 * The test event is always delivered at once: someone is waiting for it.
 */
export function isUrgent(quiet: QuietHours, event: WatchEvent): boolean {
  if (event.type === EVENT_TYPES.test) return true;
  const filterName = event.type.replace(/^io\.watchpost\./, '');
  if (quiet.except?.eventTypes?.includes(filterName)) return true;
  return event.type === EVENT_TYPES.changed && event.data.current !== null && (quiet.except?.statuses?.includes(event.data.current.status) ?? false);
}

/** Until when an event is held for these quiet hours; undefined: deliver it now. */
export function holdUntil(quiet: QuietHours | null | undefined, event: WatchEvent, now: Date): Date | undefined {
  if (!quiet || isUrgent(quiet, event)) return undefined;
  return quietWindowEnd(quiet, now);
}
