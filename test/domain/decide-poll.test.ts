import { describe, expect, it } from 'vitest';
import { decidePoll, type PollDecision } from '../../lambdas/domain/decide-poll';
import { EVENT_TYPES, eventIdFor } from '../../lambdas/domain/events';
import type { FetchOutcome } from '../../lambdas/domain/ports';
import type { Snapshot } from '../../lambdas/domain/snapshot';
import { createWatch, type Watch } from '../../lambdas/domain/watch';

const NOW = new Date('2026-11-23T12:00:00Z');
const POLICY = { failureThreshold: 3, heartbeatSeconds: 3600 };

function snapshot(fields: Partial<Snapshot> = {}): Snapshot {
  return { status: 'running', grade: null, score: null, progressPercent: 10, details: {}, ...fields };
}

function watch(fields: Partial<Watch> = {}): Watch {
  return {
    ...createWatch({ watchId: 'w1', team: 't', resource: { type: 'dataset', datasetId: 'ds_1' } }, new Date('2026-11-23T11:00:00Z')),
    snapshot: snapshot(),
    version: 4,
    lastPolledAt: '2026-11-23T11:59:00Z',
    ...fields,
  };
}

const found = (fields: Partial<Snapshot> = {}): FetchOutcome => ({ outcome: 'found', snapshot: snapshot(fields) });
const failed: FetchOutcome = { outcome: 'failed', error: { kind: 'unavailable', message: 'upstream answered 503' } };

function eventTypes(decision: PollDecision): string[] {
  return decision.write === 'commit' ? decision.commit.enqueue.map((e) => e.type) : [];
}

describe('decidePoll', () => {
  it.each<[string, Watch, FetchOutcome, PollDecision['write'], string[]]>([
    ['records a baseline silently', watch({ snapshot: null, version: 0 }), found(), 'commit', []],
    ['writes nothing when nothing changed', watch(), found(), 'none', []],
    ['refreshes context when only progress moved', watch(), found({ progressPercent: 55 }), 'refresh', []],
    ['refreshes the poll time once the heartbeat is due', watch({ lastPolledAt: '2026-11-23T10:00:00Z' }), found(), 'refresh', []],
    ['emits a change for a status transition', watch(), found({ status: 'succeeded' }), 'commit', [EVENT_TYPES.changed]],
    ['ignores a change of a field the watch does not track', watch({ notifyOn: ['status'] }), found({ grade: 'A' }), 'refresh', []],
    ['emits a gone event for a missing resource', watch(), { outcome: 'gone' }, 'commit', [EVENT_TYPES.gone]],
    ['counts a failure without an event below the threshold', watch(), failed, 'commit', []],
    ['emits failing when the threshold is reached', watch({ consecutiveFailures: 2 }), failed, 'commit', [EVENT_TYPES.failing]],
    ['does not repeat failing past the threshold', watch({ consecutiveFailures: 3 }), failed, 'commit', []],
    ['resets a short failure streak without an event', watch({ consecutiveFailures: 1 }), found(), 'commit', []],
    ['emits recovered then the change it missed', watch({ consecutiveFailures: 5 }), found({ status: 'failed' }), 'commit', [EVENT_TYPES.recovered, EVENT_TYPES.changed]],
    ['emits recovered after exactly the threshold of failures (the streak that sent failing)', watch({ consecutiveFailures: 3 }), found(), 'commit', [EVENT_TYPES.recovered]],
    ['emits no recovered for one failure short of the threshold', watch({ consecutiveFailures: 2 }), found(), 'commit', []],
    ['emits recovered then gone for a watch that recovers into a 404', watch({ consecutiveFailures: 3 }), { outcome: 'gone' }, 'commit', [EVENT_TYPES.recovered, EVENT_TYPES.gone]],
  ])('%s', (_name, current, outcome, write, types) => {
    const decision = decidePoll(current, outcome, NOW, POLICY);

    expect(decision.write).toBe(write);
    expect(eventTypes(decision)).toEqual(types);
  });

  it('gives each event of one commit its own version and a matching id', () => {
    const decision = decidePoll(watch({ consecutiveFailures: 5, version: 9 }), found({ status: 'failed' }), NOW, POLICY);

    expect(decision.write === 'commit' && decision.commit.newVersion).toBe(11);
    const events = decision.write === 'commit' ? decision.commit.enqueue : [];
    expect(events.map((e) => [e.id, e.sequence])).toEqual([
      [eventIdFor('w1', 10, { type: EVENT_TYPES.recovered, previous: events[0]!.data.previous, current: events[0]!.data.current }), '10'],
      [eventIdFor('w1', 11, { type: EVENT_TYPES.changed, changes: [{ field: 'status', from: 'running', to: 'failed' }], previous: events[1]!.data.previous, current: events[1]!.data.current }), '11'],
    ]);
  });

  it('decides the same event id when a crashed poll is repeated', () => {
    const first = decidePoll(watch(), found({ status: 'succeeded' }), NOW, POLICY);
    const again = decidePoll(watch(), found({ status: 'succeeded' }), new Date('2026-11-23T12:05:00Z'), POLICY);

    expect(eventTypes(first)).toHaveLength(1);
    expect(first.write === 'commit' && first.commit.enqueue[0]?.id).toBe(again.write === 'commit' && again.commit.enqueue[0]?.id);
  });

  it('gives two different transitions decided at one version two ids (a version reused after a torn write)', () => {
    const pending = watch({ version: 0, snapshot: snapshot({ status: 'pending', details: { runId: 'run_1' } }) });
    const failedRun1 = decidePoll(pending, found({ status: 'failed', details: { runId: 'run_1' } }), NOW, POLICY);
    const runningRun2 = decidePoll(pending, found({ status: 'running', details: { runId: 'run_2' } }), NOW, POLICY);

    const [a] = failedRun1.write === 'commit' ? failedRun1.commit.enqueue : [];
    const [b] = runningRun2.write === 'commit' ? runningRun2.commit.enqueue : [];
    expect([a?.sequence, b?.sequence]).toEqual(['1', '1']);
    expect(a?.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(b?.id).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(a?.id).not.toBe(b?.id);
  });

  it('keeps the last snapshot and records the error when a fetch fails', () => {
    const decision = decidePoll(watch(), failed, NOW, POLICY);

    expect(decision).toMatchObject({
      write: 'commit',
      commit: { snapshot: snapshot(), consecutiveFailures: 1, lastError: { kind: 'unavailable', at: NOW.toISOString() } },
    });
  });

  it('gives lifecycle events no changes, so a changes filter cannot be fooled by them', () => {
    const decisions = [
      decidePoll(watch({ consecutiveFailures: 2 }), failed, NOW, POLICY),
      decidePoll(watch({ consecutiveFailures: 3 }), found({ status: 'succeeded', grade: 'A' }), NOW, POLICY),
      decidePoll(watch(), { outcome: 'gone' }, NOW, POLICY),
    ];
    const lifecycle = decisions.flatMap((d) => (d.write === 'commit' ? d.commit.enqueue : [])).filter((e) => e.type !== EVENT_TYPES.changed);

    expect(lifecycle.map((e) => e.type).sort()).toEqual([EVENT_TYPES.failing, EVENT_TYPES.gone, EVENT_TYPES.recovered].sort());
    expect(lifecycle.map((e) => e.data.changes)).toEqual([[], [], []]);
  });

  it('carries the failure, with its count, on the failing event and the recorded error', () => {
    const decision = decidePoll(watch({ consecutiveFailures: 2 }), failed, NOW, POLICY);

    expect(decision).toMatchObject({
      commit: {
        consecutiveFailures: 3,
        state: 'active',
        lastPolledAt: NOW.toISOString(),
        newVersion: 5,
        enqueue: [{ data: { failure: { kind: 'unavailable', message: 'upstream answered 503', consecutiveFailures: 3 }, previous: snapshot(), current: snapshot() } }],
      },
    });
  });

  it('cuts a long error message to its documented length', () => {
    const long: FetchOutcome = { outcome: 'failed', error: { kind: 'malformed', message: 'x'.repeat(5_000) } };
    const decision = decidePoll(watch(), long, NOW, POLICY);

    expect(decision.write === 'commit' && decision.commit.lastError?.message).toHaveLength(500);
  });

  it('refreshes exactly when the heartbeat is due, not a second before', () => {
    const lastPolledAt = '2026-11-23T11:00:00Z';
    expect(decidePoll(watch({ lastPolledAt }), found(), NOW, POLICY).write).toBe('refresh');
    expect(decidePoll(watch({ lastPolledAt: '2026-11-23T11:00:01Z' }), found(), NOW, POLICY).write).toBe('none');
    expect(decidePoll(watch({ lastPolledAt: null }), found(), NOW, POLICY).write).toBe('refresh');
  });

  it('takes a gone watch out of the active state', () => {
    expect(decidePoll(watch(), { outcome: 'gone' }, NOW, POLICY)).toMatchObject({ commit: { state: 'gone' } });
  });
});
