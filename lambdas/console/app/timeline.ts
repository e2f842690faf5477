/**
 * The picture of a watch's history: one lane per status it has had, a bar
 * for each stretch of time it spent in that status, and a mark where the
 * grade changed. Pure, so it is tested without a browser.
 */
export interface TimelineEvent {
  id: string;
  type: string;
  time: string;
  data: {
    changes: Array<{ field: string; from: string | number | null; to: string | number | null }>;
    current: { status: string; grade: string | null } | null;
    failure?: { kind: string; message?: string; consecutiveFailures: number } | undefined;
  };
}

export interface TimelineBar {
  lane: number;
  status: string;
  from: number;
  to: number;
}

export interface TimelineMark {
  at: number;
  label: string;
}

export interface Timeline {
  lanes: string[];
  bars: TimelineBar[];
  grades: TimelineMark[];
  start: number;
  end: number;
}

/**
 * Events in any order (the API lists newest first); `now` closes the last
 * stretch, and `since` (the watch's creation) opens the first one, whose
 * status the first change's `from` tells.
 */
export function buildTimeline(events: TimelineEvent[], now: number, since?: number): Timeline {
  const ordered = [...events].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const lanes: string[] = [];
  const bars: TimelineBar[] = [];
  const grades: TimelineMark[] = [];
  let open: { status: string; from: number } | undefined;
  const laneOf = (status: string) => {
    if (!lanes.includes(status)) lanes.push(status);
    return lanes.indexOf(status);
  };
  for (const event of ordered) {
    const at = Date.parse(event.time);
    const status = event.data.current?.status ?? (event.type.endsWith('.gone') ? 'gone' : undefined);
    const from = event.data.changes.find((change) => change.field === 'status')?.from;
    // The first event also says where the watch came from, when it changed status.
    if (!open && typeof from === 'string') open = { status: from, from: since !== undefined && since < at ? since : at };
    if (status !== undefined && status !== open?.status) {
      if (open) bars.push({ lane: laneOf(open.status), status: open.status, from: open.from, to: at });
      open = { status, from: at };
    }
    const grade = event.data.changes.find((change) => change.field === 'grade');
    if (grade) grades.push({ at, label: `${grade.from ?? '–'} → ${grade.to ?? '–'}` });
  }
  if (open) bars.push({ lane: laneOf(open.status), status: open.status, from: open.from, to: Math.max(now, open.from) });
  const times = bars.flatMap((bar) => [bar.from, bar.to]).concat(grades.map((mark) => mark.at));
  const start = times.length > 0 ? Math.min(...times) : now;
  // Up to now at least, so the "now" line has its place even after the last stretch ended.
  const end = times.length > 0 ? Math.max(...times, now, start + 1) : now + 1;
  return { lanes, bars, grades, start, end };
}

/** The colour family of a status, for badges and bars: running, done, failed, or waiting. */
export function statusTone(status: string | null | undefined): 'ok' | 'bad' | 'busy' | 'idle' {
  const s = (status ?? '').toLowerCase();
  if (['succeeded', 'finished', 'completed', 'done'].includes(s)) return 'ok';
  if (['failed', 'error', 'gone', 'cancelled', 'canceled'].includes(s)) return 'bad';
  if (['running', 'sampling', 'predicting', 'annotating', 'processing', 'evaluating'].includes(s)) return 'busy';
  return 'idle';
}

const MINUTE = 60_000;
const TICK_STEPS = [10_000, 30_000, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, 60 * MINUTE, 3 * 60 * MINUTE, 6 * 60 * MINUTE, 12 * 60 * MINUTE, 24 * 60 * MINUTE, 7 * 24 * 60 * MINUTE];

/**
 * Round times for the axis between start and end: the smallest step that
 * gives at most `most` ticks, labelled as a time of day, or as a date once a
 * step spans days. In the viewer's zone (`offsetMinutes` east of UTC, for tests).
 */
export function timeTicks(start: number, end: number, most: number, offsetMinutes = -new Date(start).getTimezoneOffset()): Array<{ at: number; label: string }> {
  const span = Math.max(end - start, 1);
  const step = TICK_STEPS.find((candidate) => span / candidate <= most) ?? TICK_STEPS[TICK_STEPS.length - 1]!;
  const offset = offsetMinutes * MINUTE;
  const ticks: Array<{ at: number; label: string }> = [];
  for (let at = Math.ceil((start + offset) / step) * step - offset; at <= end; at += step) {
    const local = new Date(at + offset);
    const pad = (n: number) => String(n).padStart(2, '0');
    const clock = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
    const label = step >= 24 * 60 * MINUTE ? `${local.getUTCDate()} ${MONTHS[local.getUTCMonth()]}` : step < MINUTE ? `${clock}:${pad(local.getUTCSeconds())}` : clock;
    ticks.push({ at, label });
  }
  if (ticks.length > 0) return ticks;
  // A history shorter than the smallest step: its start, to the second.
  const local = new Date(start + offset);
  const pad = (n: number) => String(n).padStart(2, '0');
  return [{ at: start, label: `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` }];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
