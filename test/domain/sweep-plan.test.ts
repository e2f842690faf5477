import { describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../lambdas/domain/resource';
import type { Snapshot } from '../../lambdas/domain/snapshot';
import {
  datasetNeedsFetch,
  EMPTY_SWEEP_STATE,
  fullRefreshDue,
  isQuietSession,
  nextHighWaterMark,
  planTick,
  refreshPhaseMs,
  sweepFloor,
  type SweepState,
} from '../../lambdas/domain/sweep-plan';
import { createWatch, type Watch } from '../../lambdas/domain/watch';

const NOW = new Date('2026-11-24T12:00:00Z');
const POLICY = { fullRefreshSeconds: 3600, overlapSeconds: 120 };

function snapshot(fields: Partial<Snapshot> = {}): Snapshot {
  return { status: 'running', grade: null, score: null, progressPercent: null, details: { updatedAt: '2026-11-24T11:00:00.000Z' }, ...fields };
}

function watch(watchId: string, resource: ResourceRef, fields: Partial<Watch> = {}): Watch {
  return { ...createWatch({ watchId, team: 't', resource }, new Date('2026-11-24T10:00:00Z')), snapshot: snapshot(), version: 3, ...fields };
}

const session = (id: string, projectId: number, correctionId: number) => watch(id, { type: 'correction_session', projectId, correctionId });
const dataset = (id: string, datasetId = id, fields: Partial<Watch> = {}) => watch(id, { type: 'dataset', datasetId }, fields);
const state = (fields: Partial<SweepState> = {}): SweepState => ({ ...EMPTY_SWEEP_STATE, ...fields });

describe('planTick', () => {
  it('lists a project with two or more watched sessions, and leaves a project with one to its single GET', () => {
    const plan = planTick([session('a', 7, 1), session('b', 7, 2), session('c', 9, 1), session('d', 3, 1), session('e', 3, 5)], state(), NOW, POLICY);

    expect(plan.projectLists).toEqual([3, 7]);
    expect(plan.sweepDatasets).toBe(false);
  });

  it('counts sessions, not watches: two teams watching one session do not make a list worth it', () => {
    expect(planTick([session('a', 7, 1), session('b', 7, 1)], state(), NOW, POLICY).projectLists).toEqual([]);
  });

  it('sweeps datasets only when some are watched, and refreshes them all at the first sweep', () => {
    const plan = planTick([dataset('x'), dataset('y'), session('s', 1, 1)], state(), NOW, POLICY);

    expect(plan.sweepDatasets).toBe(true);
    expect([...plan.refreshDue].sort()).toEqual(['x', 'y']);
  });
});

describe('planTick with finished sessions (quiet until their refresh)', () => {
  const finished = (id: string, projectId: number, correctionId: number, fields: Partial<Watch> = {}) =>
    watch(id, { type: 'correction_session', projectId, correctionId }, { snapshot: snapshot({ status: 'FINISHED' }), ...fields });
  const lastSweep = state({ lastSweepAt: new Date(NOW.getTime() - 60_000).toISOString() });
  // Whether a watch's refresh phase falls in the last minute: the one tick it is due.
  const dueNow = (id: string) => planTick([finished(id, 1, 1)], lastSweep, NOW, POLICY).refreshDue.has(id);

  it('asks nothing for a project whose watched sessions have all finished, between refreshes', () => {
    const ids = Array.from({ length: 6 }, (_, i) => `q${i}`).filter((id) => !dueNow(id));
    const plan = planTick(ids.map((id, i) => finished(id, 7, i + 1)), lastSweep, NOW, POLICY);

    expect(ids.length).toBeGreaterThan(1);
    expect(plan.projectLists).toEqual([]);
    expect([...plan.quietSessions].sort()).toEqual([...ids].sort());
    expect(plan.refreshDue.size).toBe(0);
  });

  it('looks at a finished session once a period, at its phase, as the datasets are refreshed', () => {
    const ids = Array.from({ length: 600 }, (_, i) => `s${i}`);
    const due = ids.filter(dueNow);

    // About 600 ÷ 60 per minute: spread, not all at once and not never.
    expect(due.length).toBeGreaterThan(2);
    expect(due.length).toBeLessThan(30);
    const plan = planTick([finished(due[0]!, 7, 1)], lastSweep, NOW, POLICY);
    expect(plan.refreshDue.has(due[0]!)).toBe(true);
    expect(plan.quietSessions.size).toBe(0);
  });

  it('keeps every sweep for sessions still running, failing, or owing events, and for FINISHED only as DeepOpinion spells it', () => {
    const plan = planTick(
      [
        session('run', 7, 1),
        finished('failing', 7, 2, { consecutiveFailures: 1 }),
        finished('owing', 8, 1, { outbox: [{ id: 'evt_x' } as Watch['outbox'][number]] }),
        finished('lower', 8, 2, { snapshot: snapshot({ status: 'finished' }) }),
        finished('baseline', 9, 1, { snapshot: null }),
        finished('failed', 9, 2, { snapshot: snapshot({ status: 'FAILED' }) }),
      ],
      lastSweep,
      NOW,
      POLICY,
    );

    expect(dueNow('failed')).toBe(false);
    // Only sessions go quiet: a dataset's succeeded is terminal for a run, not for the dataset.
    expect(isQuietSession(dataset('d', 'd', { snapshot: snapshot({ status: 'FINISHED' }) }))).toBe(false);
    expect(isQuietSession(finished('f', 1, 1))).toBe(true);
    expect(plan.projectLists).toEqual([7, 8]);
    expect([...plan.quietSessions]).toEqual(['failed']);
  });
});

describe('fullRefreshDue', () => {
  const ids = Array.from({ length: 3000 }, (_, i) => `w_${i}`);

  function refreshesPerTick(tickSeconds: number, periods: number): { perTick: number[]; perWatch: Map<string, number> } {
    const start = Date.parse('2026-11-24T00:00:00Z');
    const perTick: number[] = [];
    const perWatch = new Map<string, number>();
    let last = new Date(start).toISOString();
    for (let t = start + tickSeconds * 1000; t <= start + periods * 3600 * 1000; t += tickSeconds * 1000) {
      const due = ids.filter((id) => fullRefreshDue(id, last, new Date(t), 3600));
      perTick.push(due.length);
      for (const id of due) perWatch.set(id, (perWatch.get(id) ?? 0) + 1);
      last = new Date(t).toISOString();
    }
    return { perTick, perWatch };
  }

  it('refreshes every watch exactly once per period, whatever the sweep interval', () => {
    for (const tickSeconds of [15, 60, 300]) {
      const { perWatch } = refreshesPerTick(tickSeconds, 2);
      expect([...new Set(perWatch.values())]).toEqual([2]);
      expect(perWatch.size).toBe(ids.length);
    }
  });

  it('spreads them evenly: per minute about watches ÷ 60, at 15 s sweeps as at 60 s', () => {
    const at60 = refreshesPerTick(60, 1).perTick;
    const at15 = refreshesPerTick(15, 1).perTick;
    const perMinuteAt15 = Array.from({ length: at15.length / 4 }, (_, i) => at15.slice(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0));

    for (const perMinute of [at60, perMinuteAt15]) {
      expect(Math.max(...perMinute)).toBeLessThan(50 * 1.6);
      expect(Math.min(...perMinute)).toBeGreaterThan(50 * 0.4);
    }
  });

  it('counts a phase point that fell exactly on the last sweep as done, not due again', () => {
    const periodMs = 3600_000;
    const phasePoint = Date.parse('2026-11-24T00:00:00Z') + refreshPhaseMs('w_1', periodMs);

    expect(fullRefreshDue('w_1', new Date(phasePoint - 1).toISOString(), new Date(phasePoint), 3600)).toBe(true);
    expect(fullRefreshDue('w_1', new Date(phasePoint).toISOString(), new Date(phasePoint + 60_000), 3600)).toBe(false);
  });

  it('refreshes everything after a first sweep or a gap of a whole period, and nothing twice in one instant', () => {
    expect(fullRefreshDue('w_1', null, NOW, 3600)).toBe(true);
    expect(fullRefreshDue('w_1', new Date(NOW.getTime() - 3600_000).toISOString(), NOW, 3600)).toBe(true);
    expect(fullRefreshDue('w_1', NOW.toISOString(), NOW, 3600)).toBe(false);
  });
});

describe('sweepFloor', () => {
  it('reaches back the overlap before the mark, and has no floor before the first mark', () => {
    expect(sweepFloor(state({ datasetHighWaterMark: '2026-11-24T11:00:00.000Z' }), POLICY)).toBe('2026-11-24T10:58:00.000Z');
    expect(sweepFloor(state(), POLICY)).toBeNull();
    expect(sweepFloor(state({ datasetHighWaterMark: 'yesterday' }), POLICY)).toBeNull();
  });
});

describe('datasetNeedsFetch', () => {
  const listed = (status: string, updatedAt: string | null) => ({ status, updatedAt });
  const same = listed('running', '2026-11-24T11:00:00.000Z');

  it.each<[string, Watch, ReturnType<typeof listed> | undefined, boolean, boolean, boolean]>([
    ['not when the list shows it as the snapshot has it', dataset('a'), same, true, false, false],
    ['not when it is not in the list (older than the floor)', dataset('a'), undefined, true, false, false],
    ['when its status moved', dataset('a'), listed('succeeded', '2026-11-24T11:00:00.000Z'), true, false, true],
    ['when its updated_at moved', dataset('a'), listed('running', '2026-11-24T11:30:00.000Z'), true, false, true],
    ['when the list has no updated_at for it', dataset('a'), listed('running', null), true, false, true],
    ['when its full refresh is due', dataset('a'), same, true, true, true],
    ['when the sweep did not complete (list failed, or first sweep)', dataset('a'), same, false, false, true],
    ['when it has no baseline yet', dataset('a', 'a', { snapshot: null }), same, true, false, true],
    ['when it is failing, so a recovery is seen', dataset('a', 'a', { consecutiveFailures: 2 }), same, true, false, true],
  ])('%s', (_name, subject, entry, complete, due, expected) => {
    expect(datasetNeedsFetch(subject, entry, complete, due)).toBe(expected);
  });
});

describe('nextHighWaterMark', () => {
  it('moves to the newest entry seen', () => {
    expect(nextHighWaterMark('2026-11-24T11:00:00.000Z', '2026-11-24T11:05:00.000Z', [])).toBe('2026-11-24T11:05:00.000Z');
    expect(nextHighWaterMark(null, '2026-11-24T11:05:00.000Z', [])).toBe('2026-11-24T11:05:00.000Z');
  });

  it('does not move back when the newest entry is older than the mark (an empty page, a skewed clock)', () => {
    expect(nextHighWaterMark('2026-11-24T11:00:00.000Z', '2026-11-24T10:00:00.000Z', [])).toBe('2026-11-24T11:00:00.000Z');
    expect(nextHighWaterMark('2026-11-24T11:00:00.000Z', null, [])).toBe('2026-11-24T11:00:00.000Z');
  });

  it('stays just below the oldest moved dataset whose poll did not settle, even below the old mark', () => {
    expect(nextHighWaterMark('2026-11-24T11:00:00.000Z', '2026-11-24T11:05:00.000Z', ['2026-11-24T11:03:00.000Z', '2026-11-24T11:02:00.000Z'])).toBe(
      '2026-11-24T11:01:59.999Z',
    );
    expect(nextHighWaterMark('2026-11-24T11:00:00.000Z', '2026-11-24T11:05:00.000Z', ['2026-11-24T10:59:00.000Z'])).toBe('2026-11-24T10:58:59.999Z');
  });

  it('stays below an unsettled dataset even when there was no mark at all', () => {
    expect(nextHighWaterMark(null, null, ['2026-11-24T11:03:00.000Z'])).toBe('2026-11-24T11:02:59.999Z');
  });

  it('ignores timestamps it cannot read', () => {
    expect(nextHighWaterMark('garbage', '2026-11-24T11:05:00.000Z', ['also garbage'])).toBe('2026-11-24T11:05:00.000Z');
    expect(nextHighWaterMark(null, null, [])).toBeNull();
  });
});
