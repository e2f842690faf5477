import { describe, expect, it } from 'vitest';
import { holdUntil, isKnownTimeZone, isUrgent, localToInstant, quietWindowEnd, zoneOffsetMs, type QuietHours } from '../../lambdas/domain/quiet-hours';
import { EVENTS_BY_TYPE } from '../support/event-types';

const vienna: QuietHours = { timeZone: 'Europe/Vienna', from: '19:00', to: '08:00' };
const end = (quiet: QuietHours, iso: string) => quietWindowEnd(quiet, new Date(iso))?.toISOString();

describe('quietWindowEnd, a window across midnight (Europe/Vienna, 19:00–08:00)', () => {
  it.each([
    ['a minute before it starts (18:59 CET)', '2026-01-14T17:59:00Z', undefined],
    ['as it starts (19:00 CET)', '2026-01-14T18:00:00Z', '2026-01-15T07:00:00.000Z'],
    ['before midnight', '2026-01-14T22:59:59Z', '2026-01-15T07:00:00.000Z'],
    ['after midnight (00:30 CET, the window began the day before)', '2026-01-14T23:30:00Z', '2026-01-15T07:00:00.000Z'],
    ['a minute before it ends (07:59 CET)', '2026-01-15T06:59:00Z', '2026-01-15T07:00:00.000Z'],
    ['as it ends (08:00 CET): out', '2026-01-15T07:00:00Z', undefined],
    ['midday', '2026-01-15T11:00:00Z', undefined],
  ])('%s', (_when, iso, expected) => {
    expect(end(vienna, iso)).toBe(expected);
  });

  it('follows summer time: 19:00 CEST is 17:00 UTC', () => {
    expect(end(vienna, '2026-07-01T16:59:00Z')).toBeUndefined();
    expect(end(vienna, '2026-07-01T17:00:00Z')).toBe('2026-07-02T06:00:00.000Z');
  });
});

describe('quietWindowEnd across a daylight-saving change', () => {
  it('spring forward (29 March 2026, 02:00 → 03:00): the night is an hour shorter, ending at 08:00 summer time', () => {
    // Saturday 19:00 CET is 18:00Z; Sunday 08:00 CEST is 06:00Z: 11 hours, not 12.
    expect(end(vienna, '2026-03-28T18:00:00Z')).toBe('2026-03-29T06:00:00.000Z');
    expect(end(vienna, '2026-03-29T01:30:00Z')).toBe('2026-03-29T06:00:00.000Z');
    expect(end(vienna, '2026-03-29T06:00:00Z')).toBeUndefined();
    // And that evening it starts at 19:00 summer time.
    expect(end(vienna, '2026-03-29T16:59:00Z')).toBeUndefined();
    expect(end(vienna, '2026-03-29T17:00:00Z')).toBe('2026-03-30T06:00:00.000Z');
  });

  it('fall back (25 October 2026, 03:00 → 02:00): the night is an hour longer, ending at 08:00 winter time', () => {
    expect(end(vienna, '2026-10-24T17:00:00Z')).toBe('2026-10-25T07:00:00.000Z');
    expect(end(vienna, '2026-10-25T06:30:00Z')).toBe('2026-10-25T07:00:00.000Z');
    expect(end(vienna, '2026-10-25T07:00:00Z')).toBeUndefined();
  });

  it('a window that starts in the skipped hour starts when the clocks have moved on', () => {
    const night: QuietHours = { timeZone: 'Europe/Vienna', from: '02:30', to: '05:00' };

    // 02:30 does not happen on 29 March: the window opens at 03:30 CEST (01:30Z).
    expect(end(night, '2026-03-29T00:59:00Z')).toBeUndefined();
    expect(end(night, '2026-03-29T01:30:00Z')).toBe('2026-03-29T03:00:00.000Z');
  });

  it('a window in the repeated hour runs from the first 02:30 to the first 02:45', () => {
    const repeated: QuietHours = { timeZone: 'Europe/Vienna', from: '02:30', to: '02:45' };

    expect(end(repeated, '2026-10-25T00:30:00Z')).toBe('2026-10-25T00:45:00.000Z');
    expect(end(repeated, '2026-10-25T01:35:00Z')).toBeUndefined();
  });

  it('west of Greenwich too (America/New_York, 8 March 2026)', () => {
    const newYork: QuietHours = { timeZone: 'America/New_York', from: '22:00', to: '07:00' };

    // Saturday 22:00 EST is 03:00Z Sunday; Sunday 07:00 EDT is 11:00Z.
    expect(end(newYork, '2026-03-08T03:00:00Z')).toBe('2026-03-08T11:00:00.000Z');
    expect(end(newYork, '2026-03-08T02:59:00Z')).toBeUndefined();
  });
});

describe('quietWindowEnd, other shapes', () => {
  it('a window within one day', () => {
    const lunch: QuietHours = { timeZone: 'UTC', from: '12:00', to: '13:00' };

    expect(end(lunch, '2026-01-14T11:59:59Z')).toBeUndefined();
    expect(end(lunch, '2026-01-14T12:00:00Z')).toBe('2026-01-14T13:00:00.000Z');
    expect(end(lunch, '2026-01-14T13:00:00Z')).toBeUndefined();
  });

  it('days name the day a window starts on: Friday night runs into Saturday, Saturday night is not quiet', () => {
    const weekend: QuietHours = { ...vienna, days: ['fri'] };

    // 16 January 2026 is a Friday.
    expect(end(weekend, '2026-01-15T20:00:00Z')).toBeUndefined(); // Thursday 21:00
    expect(end(weekend, '2026-01-16T20:00:00Z')).toBe('2026-01-17T07:00:00.000Z'); // Friday 21:00
    expect(end(weekend, '2026-01-17T05:00:00Z')).toBe('2026-01-17T07:00:00.000Z'); // Saturday 06:00
    expect(end(weekend, '2026-01-17T20:00:00Z')).toBeUndefined(); // Saturday 21:00
  });

  it('days of a same-day window', () => {
    const weekdays: QuietHours = { timeZone: 'UTC', from: '00:00', to: '09:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] };

    expect(end(weekdays, '2026-01-17T03:00:00Z')).toBeUndefined(); // Saturday
    expect(end(weekdays, '2026-01-19T03:00:00Z')).toBe('2026-01-19T09:00:00.000Z'); // Monday
    expect(end(weekdays, '2026-01-18T03:00:00Z')).toBeUndefined(); // Sunday
  });
});

describe('time zones', () => {
  it('knows IANA zones and refuses made-up ones', () => {
    expect(isKnownTimeZone('Europe/Vienna')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Europe/Atlantis')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });

  it('offsets and local times', () => {
    expect(zoneOffsetMs('Europe/Vienna', Date.parse('2026-01-14T12:00:00Z'))).toBe(3_600_000);
    expect(zoneOffsetMs('Europe/Vienna', Date.parse('2026-07-14T12:00:00Z'))).toBe(7_200_000);
    expect(zoneOffsetMs('Asia/Kolkata', Date.parse('2026-07-14T12:00:00Z'))).toBe(19_800_000);
    expect(new Date(localToInstant('Europe/Vienna', 2026, 3, 29, 2, 30)).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(new Date(localToInstant('Europe/Vienna', 2026, 10, 25, 2, 30)).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(localToInstant('Asia/Kolkata', 2026, 1, 1, 0, 0)).toISOString()).toBe('2025-12-31T18:30:00.000Z');
  });
});

describe('urgent events', () => {
  const quiet: QuietHours = { ...vienna, except: { statuses: ['failed'], eventTypes: ['watch.failing'] } };
  const failedChange = {
    ...EVENTS_BY_TYPE.changed,
    data: { ...EVENTS_BY_TYPE.changed.data, changes: [{ field: 'status' as const, from: 'running', to: 'failed' }], current: { status: 'failed', grade: null, score: null, progressPercent: null, details: {} } },
  };

  it('a change to an excepted status, an excepted event type and the test event are urgent', () => {
    expect(isUrgent(quiet, failedChange)).toBe(true);
    expect(isUrgent(quiet, EVENTS_BY_TYPE.failing)).toBe(true);
    expect(isUrgent(quiet, EVENTS_BY_TYPE.test)).toBe(true);
  });

  it('other changes and types are not; statuses narrow change events only', () => {
    expect(isUrgent(quiet, EVENTS_BY_TYPE.changed)).toBe(false);
    expect(isUrgent(quiet, EVENTS_BY_TYPE.gone)).toBe(false);
    expect(isUrgent({ ...vienna, except: { statuses: ['running'] } }, EVENTS_BY_TYPE.recovered)).toBe(false);
    expect(isUrgent(vienna, failedChange)).toBe(false);
  });

  it('holdUntil: the window’s end for what is not urgent, nothing for the rest or outside the window', () => {
    const night = new Date('2026-01-14T23:00:00Z');

    expect(holdUntil(quiet, EVENTS_BY_TYPE.changed, night)?.toISOString()).toBe('2026-01-15T07:00:00.000Z');
    expect(holdUntil(quiet, failedChange, night)).toBeUndefined();
    expect(holdUntil(quiet, EVENTS_BY_TYPE.changed, new Date('2026-01-15T12:00:00Z'))).toBeUndefined();
    expect(holdUntil(null, EVENTS_BY_TYPE.changed, night)).toBeUndefined();
  });
});
