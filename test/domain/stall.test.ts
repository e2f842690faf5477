import { describe, expect, it } from 'vitest';
import { decidePoll } from '../../lambdas/domain/decide-poll';
import { EVENT_TYPES, eventEmailText, eventHeadline, formatMinutes, type WatchEvent } from '../../lambdas/domain/events';
import type { ResourceRef } from '../../lambdas/domain/resource';
import { slackMessage } from '../../lambdas/domain/slack-message';
import type { Snapshot } from '../../lambdas/domain/snapshot';
import { hasMoved, stallDue, trackMotion } from '../../lambdas/domain/stall';
import { createWatch, type Watch } from '../../lambdas/domain/watch';

/** Stalled jobs, decided on an injected clock: a poll every `at` minutes after T0. */
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const POLICY = { failureThreshold: 3, heartbeatSeconds: 3600 };
const DATASET: ResourceRef = { type: 'dataset', datasetId: 'ds_long' };

function dataset(status: string, percent: number | null, updatedAt = '2026-12-01T09:59:00Z'): Snapshot {
  return { status, grade: null, score: null, progressPercent: percent, details: { updatedAt } };
}

/** A watch that polls like the store would have it: each decision's write applied. */
function poller(threshold: number | null, resource: ResourceRef = DATASET) {
  let watch: Watch = createWatch({ watchId: 'w_stall', team: 'ml', resource, stalledAfterMinutes: threshold }, at(0));
  const events: WatchEvent[] = [];
  return {
    events,
    get watch() {
      return watch;
    },
    poll(minutes: number, snapshot: Snapshot): WatchEvent[] {
      const decision = decidePoll(watch, { outcome: 'found', snapshot }, at(minutes), POLICY);
      if (decision.write === 'commit') {
        const { commit } = decision;
        watch = { ...watch, snapshot: commit.snapshot, version: commit.newVersion, lastPolledAt: commit.lastPolledAt };
        events.push(...commit.enqueue);
        return commit.enqueue;
      }
      if (decision.write === 'refresh') watch = { ...watch, snapshot: decision.snapshot, lastPolledAt: decision.polledAt };
      return [];
    },
  };
}

describe('a running job that stops moving (stalledAfterMinutes 60)', () => {
  it('is not stalled after 59 minutes still', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));

    expect(p.poll(59, dataset('running', 40))).toEqual([]);
    expect(p.watch.snapshot?.stalledSince).toBeUndefined();
  });

  it('is stalled at 60 and says so once, with how long and the last progress', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));
    p.poll(30, dataset('running', 40));

    const [stalled, ...more] = p.poll(60, dataset('running', 40));

    expect(more).toEqual([]);
    expect(stalled).toMatchObject({ type: EVENT_TYPES.stalled, sequence: '2', data: { changes: [], stall: { thresholdMinutes: 60, lastMovedAt: at(0).toISOString(), minutesWithoutMotion: 60, lastProgressPercent: 40 } } });
    expect(stalled?.data.current).toMatchObject({ movedAt: at(0).toISOString(), stalledSince: at(60).toISOString() });
    expect(p.poll(61, dataset('running', 40))).toEqual([]);
    expect(p.poll(600, dataset('running', 40))).toEqual([]);
    expect(p.events.map((e) => e.type)).toEqual([EVENT_TYPES.stalled]);
  });

  it('is stalled at 61 minutes when the poll at 60 was missed, counting the 61', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));

    expect(p.poll(61, dataset('running', 40)).map((e) => [e.type, e.data.stall?.minutesWithoutMotion])).toEqual([[EVENT_TYPES.stalled, 61]]);
  });

  it('counts from the last move: progress at minute 30 puts the stall at 90', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));
    p.poll(30, dataset('running', 41));

    expect(p.poll(89, dataset('running', 41))).toEqual([]);
    expect(p.poll(90, dataset('running', 41)).map((e) => e.type)).toEqual([EVENT_TYPES.stalled]);
  });

  it('counts updated_at as motion too (a dataset that reports no progress)', () => {
    const p = poller(60);
    p.poll(0, dataset('running', null, '2026-12-01T10:00:00Z'));
    p.poll(50, dataset('running', null, '2026-12-01T10:50:00Z'));

    expect(p.poll(100, dataset('running', null, '2026-12-01T10:50:00Z'))).toEqual([]);
    expect(p.poll(110, dataset('running', null, '2026-12-01T10:50:00Z'))[0]?.data.stall).toEqual({ thresholdMinutes: 60, lastMovedAt: at(50).toISOString(), minutesWithoutMotion: 60, lastProgressPercent: null });
  });

  it('resumes once when it moves again, and can stall again later', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));
    p.poll(61, dataset('running', 40));

    const [resumed, ...more] = p.poll(75, dataset('running', 55));

    expect(more).toEqual([]);
    expect(resumed).toMatchObject({ type: EVENT_TYPES.resumed, sequence: '3', data: { changes: [], stall: { thresholdMinutes: 60, lastMovedAt: at(0).toISOString(), minutesWithoutMotion: 75, lastProgressPercent: 40, resumedStatus: 'running' } } });
    expect(resumed?.data.current?.stalledSince).toBeUndefined();
    expect(resumed?.data.current?.movedAt).toBe(at(75).toISOString());
    expect(p.poll(80, dataset('running', 55))).toEqual([]);
    expect(p.poll(135, dataset('running', 55)).map((e) => e.type)).toEqual([EVENT_TYPES.stalled]);
    expect(new Set(p.events.map((e) => e.id)).size).toBe(3);
  });

  it('that ends in failed: resumed (with the outcome), then the change, at consecutive versions', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));
    p.poll(61, dataset('running', 40));

    const events = p.poll(70, dataset('failed', null));

    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      [EVENT_TYPES.resumed, '3'],
      [EVENT_TYPES.changed, '4'],
    ]);
    expect(events[0]?.data.stall).toMatchObject({ minutesWithoutMotion: 70, resumedStatus: 'failed' });
    expect(events[1]?.data.changes).toEqual([{ field: 'status', from: 'running', to: 'failed' }]);
    expect(p.poll(200, dataset('failed', null))).toEqual([]);
  });

  it('is never stalled when not running (pending, awaiting_input, succeeded), nor without a threshold', () => {
    for (const status of ['pending', 'awaiting_input', 'succeeded', 'failed']) {
      const p = poller(60);
      p.poll(0, dataset(status, null));
      expect(p.poll(600, dataset(status, null)), status).toEqual([]);
    }
    const off = poller(null);
    off.poll(0, dataset('running', 40));
    expect(off.poll(600, dataset('running', 40))).toEqual([]);
    // And a watch that does not ask keeps no motion bookkeeping: nothing new to write.
    expect(off.watch.snapshot).toEqual(dataset('running', 40));
  });

  it('counts the running statuses of correction sessions, not CREATED or FINISHED', () => {
    const session: ResourceRef = { type: 'correction_session', projectId: 3, correctionId: 9 };
    const state = (status: string): Snapshot => ({ status, grade: null, score: null, progressPercent: 20, details: {} });
    for (const status of ['STARTED', 'SAMPLING', 'PREDICTING', 'ANNOTATING']) {
      const p = poller(5, session);
      p.poll(0, state(status));
      expect(p.poll(5, state(status)).map((e) => e.type), status).toEqual([EVENT_TYPES.stalled]);
    }
    for (const status of ['CREATED', 'FINISHED', 'FAILED', 'DELETING']) {
      const p = poller(5, session);
      p.poll(0, state(status));
      expect(p.poll(500, state(status)), status).toEqual([]);
    }
  });

  it('a stall whose threshold is turned off still ends with resumed when it moves', () => {
    const p = poller(60);
    p.poll(0, dataset('running', 40));
    p.poll(61, dataset('running', 40));
    const off = { ...p.watch, stalledAfterMinutes: null };

    const decision = decidePoll(off, { outcome: 'found', snapshot: dataset('running', 50) }, at(70), POLICY);

    expect(decision.write === 'commit' && decision.commit.enqueue.map((e) => [e.type, e.data.stall?.thresholdMinutes])).toEqual([[EVENT_TYPES.resumed, null]]);
  });
});

describe('the stall helpers', () => {
  it('move on status, progress or updated_at, and nothing else', () => {
    const base = dataset('running', 40);
    expect(hasMoved(null, base)).toBe(true);
    expect(hasMoved(base, { ...base, details: { updatedAt: '2026-12-01T09:59:00Z', name: 'renamed' } })).toBe(false);
    expect(hasMoved(base, dataset('running', 41))).toBe(true);
    expect(hasMoved(base, dataset('succeeded', 40))).toBe(true);
    expect(hasMoved(base, dataset('running', 40, '2026-12-01T10:01:00Z'))).toBe(true);
  });

  it('carry movedAt and stalledSince while still, and start afresh on a move', () => {
    const still = { ...dataset('running', 40), movedAt: at(0).toISOString(), stalledSince: at(61).toISOString() };
    expect(trackMotion(still, dataset('running', 40), at(70))).toEqual(still);
    expect(trackMotion(still, dataset('running', 42), at(70))).toEqual({ ...dataset('running', 42), movedAt: at(70).toISOString() });
    expect(trackMotion({ ...dataset('running', 40) }, dataset('running', 40), at(5))).toEqual({ ...dataset('running', 40), movedAt: at(5).toISOString() });
  });

  it('stallDue holds from exactly the threshold, once', () => {
    const still = { ...dataset('running', 40), movedAt: at(0).toISOString() };
    expect(stallDue('dataset', 60, still, new Date(at(60).getTime() - 1))).toBe(false);
    expect(stallDue('dataset', 60, still, at(60))).toBe(true);
    expect(stallDue('dataset', 60, { ...still, stalledSince: at(60).toISOString() }, at(90))).toBe(false);
    expect(stallDue('dataset', null, still, at(600))).toBe(false);
    expect(stallDue('dataset', 60, null, at(600))).toBe(false);
    expect(stallDue('dataset', 60, dataset('running', 40), at(600))).toBe(false);
  });
});

describe('stall texts', () => {
  const p = poller(60);
  p.poll(0, dataset('running', 40));
  const [stalled] = p.poll(125, dataset('running', 40));
  const [resumed] = p.poll(130, dataset('succeeded', null));

  it('headlines say how long and at what progress', () => {
    expect(eventHeadline(stalled!)).toBe('dataset ds_long: stalled: no progress for 2 h 5 min at 40%');
    expect(eventHeadline(resumed!)).toBe('dataset ds_long: moving again after 2 h 10 min (succeeded)');
    expect([formatMinutes(0), formatMinutes(59), formatMinutes(60), formatMinutes(61)]).toEqual(['0 min', '59 min', '1 h', '1 h 1 min']);
  });

  it('email and Slack carry the figures', () => {
    const email = eventEmailText(stalled!);
    expect(email).toContain(`Stood still for: 2 h 5 min (since ${at(0).toISOString()}, Watchpost's clock)`);
    expect(email).toContain('Progress then:   40%');
    expect(email).toContain('Stall threshold: 1 h');
    const slack = slackMessage(stalled!);
    expect(JSON.stringify(slack.blocks[0])).toContain(':hourglass:');
    expect(JSON.stringify(slack.blocks[1])).toContain('*stood still*\\n2 h 5 min since');
    expect(JSON.stringify(slack.blocks[1])).toContain('*progress then*\\n40%');
    expect(JSON.stringify(slackMessage(resumed!).blocks[0])).toContain(':white_check_mark:');
  });
});
