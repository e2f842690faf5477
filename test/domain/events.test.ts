import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES, eventEmailText, eventHeadline, eventIdFor } from '../../lambdas/domain/events';
import type { Snapshot } from '../../lambdas/domain/snapshot';

const current: Snapshot = { status: 'succeeded', grade: 'A', score: 0.91, progressPercent: null, details: {} };
const watch = { watchId: 'w_1', team: 'ml-platform', label: 'nightly eval', resource: { type: 'dataset' as const, datasetId: 'ds_42' } };

function changed(changes: Parameters<typeof buildWatchEvent>[0]['changes']) {
  return buildWatchEvent({ watch, version: 3, time: new Date('2026-11-23T12:00:00Z'), type: EVENT_TYPES.changed, changes, previous: null, current });
}

describe('watch events', () => {
  it('are CloudEvents 1.0 with a subject naming the resource', () => {
    expect(changed([])).toMatchObject({
      specversion: '1.0',
      id: eventIdFor('w_1', 3),
      source: '/watchpost/watches/w_1',
      subject: 'datasets/ds_42',
      time: '2026-11-23T12:00:00.000Z',
      sequence: '3',
      datacontenttype: 'application/json',
    });
  });

  it('derive ids from the watch and version only', () => {
    expect(eventIdFor('w_1', 3)).toBe(eventIdFor('w_1', 3));
    expect(eventIdFor('w_1', 3)).not.toBe(eventIdFor('w_1', 4));
    expect(eventIdFor('w_1', 3)).not.toBe(eventIdFor('w_2', 3));
  });

  it('headline a status change with the other changes in brackets', () => {
    const event = changed([
      { field: 'status', from: 'running', to: 'succeeded' },
      { field: 'grade', from: 'C', to: 'A' },
    ]);
    expect(eventHeadline(event)).toBe('dataset ds_42: running → succeeded (grade C → A)');
  });

  it('headline a grade arriving from none', () => {
    expect(eventHeadline(changed([{ field: 'grade', from: null, to: 'B' }]))).toBe('dataset ds_42: grade none → B');
  });

  it('keep headlines under 100 characters', () => {
    const event = buildWatchEvent({
      watch: { ...watch, resource: { type: 'dataset', datasetId: 'd'.repeat(120) } },
      version: 1, time: new Date(), type: EVENT_TYPES.gone, previous: null, current: null,
    });
    expect(eventHeadline(event).length).toBeLessThan(100);
  });

  it('write an email body a person can read', () => {
    const text = eventEmailText(changed([{ field: 'status', from: 'running', to: 'succeeded' }]));
    expect(text).toContain('Watch:     nightly eval (w_1)');
    expect(text).toContain('status: running → succeeded');
    expect(text).toContain('grade: A');
  });
});
