/**
 * Times as people read them in a list: relative ("3 min ago"), with the
 * absolute time and its zone on hover and on keyboard focus (a `title` and
 * words a screen reader reads), so nothing is lost to brevity.
 */
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto', style: 'short' });
const absoluteFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'long' });

export function relative(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  if (Number.isNaN(diff)) return iso;
  if (Math.abs(diff) < 5_000) return 'just now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return relativeFormat.format(Math.round(diff / ms), unit);
  }
  return iso;
}

/** "4 Dec 2026, 10:00:00 UTC": the viewer's own zone, named. */
export function absolute(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : absoluteFormat.format(date);
}

export function Time({ iso, now = Date.now(), empty = '–' }: { iso: string | null | undefined; now?: number; empty?: string }) {
  if (!iso) return <>{empty}</>;
  const full = absolute(iso);
  return (
    <time class="when" dateTime={iso} title={full} tabIndex={0} data-absolute={full}>
      {relative(iso, now)}
      <span class="visually-hidden"> ({full})</span>
    </time>
  );
}
