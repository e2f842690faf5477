import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES, eventEmailText, eventHeadline, eventIdFor, type EventTransition } from '../../lambdas/domain/events';
import { EVENT_SCHEMAS, WatchEventSchema } from '../../lambdas/domain/event-schema';
import type { Snapshot } from '../../lambdas/domain/snapshot';

const current: Snapshot = { status: 'succeeded', grade: 'A', score: 0.91, progressPercent: null, details: {} };
const running: Snapshot = { status: 'running', grade: null, score: null, progressPercent: 40, details: { runId: 'run_1' } };
/** A transition as the id derivation sees it: running → succeeded within one run. */
const transition: EventTransition = {
  type: EVENT_TYPES.changed,
  changes: [{ field: 'status', from: 'running', to: 'succeeded' }],
  previous: running,
  current: { ...current, details: { runId: 'run_1' } },
};
const watch = { watchId: 'w_1', team: 'ml-platform', label: 'nightly eval', resource: { type: 'dataset' as const, datasetId: 'ds_42' } };

function changed(changes: Parameters<typeof buildWatchEvent>[0]['changes']) {
  return buildWatchEvent({ watch, version: 3, time: new Date('2026-11-23T12:00:00Z'), type: EVENT_TYPES.changed, changes, previous: null, current });
}

describe('watch events', () => {
  it('are CloudEvents 1.0 with a subject naming the resource', () => {
    expect(changed([])).toMatchObject({
      specversion: '1.0',
      id: eventIdFor('w_1', 3, { type: EVENT_TYPES.changed, changes: [], previous: null, current }),
      source: '/watchpost/watches/w_1',
      subject: 'datasets/ds_42',
      time: '2026-11-23T12:00:00.000Z',
      sequence: '3',
      datacontenttype: 'application/json',
    });
  });

  it('have ids of the form evt_ and 32 hex digits of SHA-256 over watch, version and transition', () => {
    // Fixed vectors: changing the derivation would re-id every event receivers have seen.
    const key = JSON.stringify(['w_1', 3, EVENT_TYPES.changed, [['status', 'running', 'succeeded']], ['running', 'run_1'], ['succeeded', 'run_1'], null]);
    const expected = `evt_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
    expect(expected).toBe('evt_672826e1d3a82e4f0f094ec3593a2c27');
    expect(eventIdFor('w_1', 3, transition)).toBe(expected);
    expect(changed([]).id).toBe('evt_6d66db541655d82d02674cc00bf5d352');
  });

  it('match the published schema of their type, for every type', () => {
    for (const type of Object.values(EVENT_TYPES)) {
      const event = buildWatchEvent({
        watch, version: 2, time: new Date('2026-11-23T12:00:00Z'), type, previous: current, current,
        ...(type === EVENT_TYPES.changed ? { changes: [{ field: 'grade', from: null, to: 'A' }] } : {}),
        ...(type === EVENT_TYPES.failing ? { failure: { kind: 'unavailable', message: '503', consecutiveFailures: 5 } } : {}),
      });
      expect(EVENT_SCHEMAS[type].safeParse(event).error).toBeUndefined();
      expect(WatchEventSchema.safeParse(event).success).toBe(true);
    }
    expect(EVENT_SCHEMAS[EVENT_TYPES.gone].safeParse({ ...changed([]), type: EVENT_TYPES.gone, id: 'not-an-event-id' }).success).toBe(false);
  });

  it('give the same transition the same id, however often it is built (crash replays stay deduplicated)', () => {
    expect(eventIdFor('w_1', 3, transition)).toBe(eventIdFor('w_1', 3, structuredClone(transition)));
  });

  it('give two different transitions at one version two ids (the reused-version case: pending → failed of run_1, then pending → running of run_2)', () => {
    const pending = { ...running, status: 'pending', details: { runId: 'run_1' } };
    const failedRun1 = eventIdFor('w_1', 1, { type: EVENT_TYPES.changed, changes: [{ field: 'status', from: 'pending', to: 'failed' }], previous: pending, current: { ...pending, status: 'failed' } });
    const runningRun2 = eventIdFor('w_1', 1, {
      type: EVENT_TYPES.changed,
      changes: [{ field: 'status', from: 'pending', to: 'running' }],
      previous: pending,
      current: { ...pending, status: 'running', details: { runId: 'run_2' } },
    });
    expect(failedRun1).not.toBe(runningRun2);
  });

  it.each<[string, Parameters<typeof eventIdFor>]>([
    ['another watch', ['w_2', 3, transition]],
    ['another version', ['w_1', 4, transition]],
    ['another type', ['w_1', 3, { ...transition, type: EVENT_TYPES.recovered }]],
    ['another field', ['w_1', 3, { ...transition, changes: [{ field: 'grade', from: 'running', to: 'succeeded' }] }]],
    ['another from', ['w_1', 3, { ...transition, changes: [{ field: 'status', from: 'queued', to: 'succeeded' }] }]],
    ['another to', ['w_1', 3, { ...transition, changes: [{ field: 'status', from: 'running', to: 'failed' }] }]],
    ['one more change', ['w_1', 3, { ...transition, changes: [...transition.changes!, { field: 'grade', from: null, to: 'A' }] }]],
    ['no changes', ['w_1', 3, { ...transition, changes: [] }]],
    ['another run before', ['w_1', 3, { ...transition, previous: { ...transition.previous!, details: { runId: 'run_0' } } }]],
    ['another run after', ['w_1', 3, { ...transition, current: { ...transition.current!, details: { runId: 'run_2' } } }]],
    ['another status before', ['w_1', 3, { ...transition, previous: { ...transition.previous!, status: 'queued' } }]],
    ['another status after', ['w_1', 3, { ...transition, current: { ...transition.current!, status: 'failed' } }]],
    ['nothing before', ['w_1', 3, { ...transition, previous: null }]],
    ['nothing after', ['w_1', 3, { ...transition, current: null }]],
    ['a failure', ['w_1', 3, { ...transition, failure: { kind: 'unavailable' } }]],
  ])('tell a transition from one with %s', (_name, args) => {
    expect(eventIdFor(...args)).not.toBe(eventIdFor('w_1', 3, transition));
  });

  it('tell failures of two kinds apart, and leave out what is context, not transition', () => {
    const failing = (kind: string) => eventIdFor('w_1', 3, { type: EVENT_TYPES.failing, previous: running, current: running, failure: { kind } });
    expect(failing('unavailable')).not.toBe(failing('credentials'));
    const withContext = {
      ...transition,
      previous: { ...transition.previous!, progressPercent: 80, score: 0.5, details: { runId: 'run_1', name: 'renamed' } },
      current: { ...transition.current!, grade: 'B', details: { runId: 'run_1', updatedAt: '2026-11-23T12:00:00Z' } },
    };
    expect(eventIdFor('w_1', 3, withContext)).toBe(eventIdFor('w_1', 3, transition));
    // A run id that is not a string (an upstream oddity) counts as no run id.
    const numericRun = { ...transition, current: { ...transition.current!, details: { runId: 42 } } };
    const noRun = { ...transition, current: { ...transition.current!, details: {} } };
    expect(eventIdFor('w_1', 3, numericRun)).toBe(eventIdFor('w_1', 3, noRun));
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
    expect(text).toBe(
      [
        'dataset ds_42: running → succeeded',
        '',
        'Watch:     nightly eval (w_1)',
        'Resource:  datasets/ds_42',
        'Team:      ml-platform',
        'When:      2026-11-23T12:00:00.000Z',
        '',
        'Changes:',
        '  status: running → succeeded',
        '',
        'Current state:',
        '  status: succeeded',
        '  grade: A',
        '  score: 0.91',
        '',
        'Event id: evt_14d5cc9f01f1e57b29f1c54fcd3b539b',
      ].join('\n'),
    );
  });

  it('write the failure and progress into an email, and a watch without a label by its id', () => {
    const event = buildWatchEvent({
      watch: { ...watch, label: null },
      version: 7,
      time: new Date('2026-11-23T12:00:00Z'),
      type: EVENT_TYPES.failing,
      previous: null,
      current: { status: 'running', grade: null, score: null, progressPercent: 40, details: {} },
      failure: { kind: 'unavailable', message: 'upstream answered 503', consecutiveFailures: 5 },
    });
    const text = eventEmailText(event);

    expect(text).toContain('Watch:     w_1\n');
    expect(text).toContain('  progress: 40%');
    expect(text).not.toContain('grade:');
    expect(text).not.toContain('Changes:');
    expect(text).toContain('Last error (unavailable): upstream answered 503\nConsecutive failed polls: 5');
  });

  it.each([
    [EVENT_TYPES.gone, 'dataset ds_42: no longer exists upstream'],
    [EVENT_TYPES.failing, 'dataset ds_42: polling is failing (credentials)'],
    [EVENT_TYPES.recovered, 'dataset ds_42: polling recovered'],
    [EVENT_TYPES.test, 'dataset ds_42: test notification'],
  ])('headline a %s event', (type, headline) => {
    const event = buildWatchEvent({
      watch, version: 1, time: new Date(), type, previous: null, current: null,
      ...(type === EVENT_TYPES.failing ? { failure: { kind: 'credentials', message: '401', consecutiveFailures: 5 } } : {}),
    });
    expect(eventHeadline(event)).toBe(headline);
  });

  it('headline a correction session by project and id, and a change without status by its fields', () => {
    const event = buildWatchEvent({
      watch: { ...watch, resource: { type: 'correction_session', projectId: 7, correctionId: 42 } },
      version: 1, time: new Date(), type: EVENT_TYPES.changed, previous: null, current: null,
      changes: [{ field: 'score', from: 60, to: 75 }, { field: 'grade', from: 'B', to: null }],
    });
    expect(eventHeadline(event)).toBe('correction 7/42: score 60 → 75, grade B → none');
    expect(event.subject).toBe('projects/7/corrections/42');
  });

  it('cut a long headline to 99 characters ending in an ellipsis', () => {
    const event = buildWatchEvent({
      watch: { ...watch, resource: { type: 'dataset', datasetId: 'd'.repeat(120) } },
      version: 1, time: new Date(), type: EVENT_TYPES.gone, previous: null, current: null,
    });
    const headline = eventHeadline(event);
    expect(headline).toHaveLength(99);
    expect(headline.endsWith('…')).toBe(true);
    expect(headline.startsWith(`dataset ${'d'.repeat(90)}`)).toBe(true);
  });
});
