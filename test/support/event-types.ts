import { buildWatchEvent, EVENT_TYPES, type WatchEvent } from '../../lambdas/domain/events';

/** One event of every type a subscription receives, at a fixed time, for whole-payload rendering tests. */
export const AT = new Date('2026-11-24T10:00:00Z');
const watch = { watchId: 'w_1', team: 'team-a', label: 'nightly eval', resource: { type: 'dataset' as const, datasetId: 'ds_42' } };
const running = { status: 'running', grade: null, score: null, progressPercent: 50, details: {} };
const succeeded = { status: 'succeeded', grade: 'B', score: 0.81, progressPercent: null, details: {} };

export const EVENTS_BY_TYPE: Record<'changed' | 'gone' | 'failing' | 'recovered' | 'test', WatchEvent> = {
  changed: buildWatchEvent({
    watch, version: 7, time: AT, type: EVENT_TYPES.changed,
    changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: null, to: 'B' }],
    previous: running, current: succeeded,
  }),
  gone: buildWatchEvent({ watch, version: 8, time: AT, type: EVENT_TYPES.gone, previous: succeeded, current: null }),
  failing: buildWatchEvent({
    watch: { ...watch, label: null, resource: { type: 'correction_session', projectId: 7, correctionId: 42 } },
    version: 9, time: AT, type: EVENT_TYPES.failing, previous: running, current: running,
    failure: { kind: 'unavailable', message: 'projects/7/corrections/42: upstream answered 503', consecutiveFailures: 5 },
  }),
  recovered: buildWatchEvent({ watch, version: 10, time: AT, type: EVENT_TYPES.recovered, previous: running, current: { ...running, progressPercent: 80 } }),
  test: buildWatchEvent({ watch: { ...watch, watchId: 'test', label: 'Test notification', resource: { type: 'dataset', datasetId: 'test' } }, version: 0, time: AT, type: EVENT_TYPES.test, previous: null, current: null }),
};
