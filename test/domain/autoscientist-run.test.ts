import { describe, expect, it } from 'vitest';
import { decidePoll } from '../../lambdas/domain/decide-poll';
import { buildWatchEvent, EVENT_TYPES, eventEmailText, eventHeadline } from '../../lambdas/domain/events';
import type { FetchOutcome } from '../../lambdas/domain/ports';
import { defaultNotifyOn, isFinalStatus, notifyOnProblem, RESOURCE_TYPES, ResourceRefSchema, resourceKey, resourceShortName, resourceSubject } from '../../lambdas/domain/resource';
import { runSummary } from '../../lambdas/domain/resource-types/autoscientist-run';
import { slackMessage } from '../../lambdas/domain/slack-message';
import type { Snapshot } from '../../lambdas/domain/snapshot';
import { EMPTY_SWEEP_STATE, planTick } from '../../lambdas/domain/sweep-plan';
import { createWatch, type Watch } from '../../lambdas/domain/watch';
import type { TrackedField } from '../../lambdas/domain/resource';

const NOW = new Date('2026-12-04T12:00:00Z');
const POLICY = { failureThreshold: 3, heartbeatSeconds: 3600 };
const RUN = { type: 'autoscientist_run' as const, runId: 'as_run_7' };

function run(fields: Partial<Snapshot> = {}, details: Record<string, unknown> = {}): Snapshot {
  return {
    status: 'running',
    grade: null,
    score: 0.6,
    progressPercent: 40,
    details: { iterationsCompleted: 2, maxIterations: 5, targetWinRate: 0.8, downloadAvailable: false, errorMessage: null, ...details },
    ...fields,
  };
}

function watch(notifyOn: TrackedField[] | undefined, snapshot: Snapshot | null = run(), fields: Partial<Watch> = {}): Watch {
  return { ...createWatch({ watchId: 'w_run', team: 't', resource: RUN, notifyOn }, new Date('2026-12-04T11:00:00Z')), snapshot, version: 4, lastPolledAt: '2026-12-04T11:59:00Z', ...fields };
}

const found = (snapshot: Snapshot): FetchOutcome => ({ outcome: 'found', snapshot });

describe('an AutoScientist run reference', () => {
  it('has a key, a subject and a short name of its own', () => {
    expect([resourceKey(RUN), resourceSubject(RUN), resourceShortName(RUN)]).toEqual(['autoscientist_run:as_run_7', 'autoscientist/as_run_7', 'training run as_run_7']);
  });

  it.each([['A'], ['as_run_7'], ['a.b:c-d_e'], ['x'.repeat(128)]])('accepts run id %j', (runId) => {
    expect(ResourceRefSchema.safeParse({ type: 'autoscientist_run', runId }).success).toBe(true);
  });

  it.each([[''], ['..'], ['.x'], ['a/b'], ['x'.repeat(129)], ['a b'], [7]])('refuses run id %j', (runId) => {
    expect(ResourceRefSchema.safeParse({ type: 'autoscientist_run', runId }).success).toBe(false);
  });

  it('refuses a run reference with a dataset’s field', () => {
    expect(ResourceRefSchema.safeParse({ type: 'autoscientist_run', runId: 'r', datasetId: 'ds' }).success).toBe(false);
  });

  it('notifies on status by default, may track winRate, and has no grade or score', () => {
    expect(defaultNotifyOn('autoscientist_run')).toEqual(['status']);
    expect(notifyOnProblem('autoscientist_run', ['status', 'winRate'])).toBeUndefined();
    expect(notifyOnProblem('autoscientist_run', ['grade'])).toBe('AutoScientist runs have no grade; use status or winRate');
    expect(notifyOnProblem('autoscientist_run', ['score'])).toBe('AutoScientist runs have no score; use status or winRate');
    expect(notifyOnProblem('dataset', ['winRate'])).toBe('datasets have no winRate; use status or grade or score');
    expect(notifyOnProblem('correction_session', ['winRate'])).toBe('correction sessions have no winRate; use status or score');
  });

  it.each([
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['running', false],
    ['pending', false],
  ])('calls status %s final: %s (outcomes and final statuses are the same three)', (status, final) => {
    expect(isFinalStatus('autoscientist_run', status)).toBe(final);
    expect(RESOURCE_TYPES.autoscientist_run.outcomeStatuses.includes(status)).toBe(final);
  });
});

describe('a run’s transitions, through the one decision function', () => {
  it.each<[string, TrackedField[] | undefined, Snapshot, Snapshot, Array<{ field: string; from: unknown; to: unknown }>]>([
    ['pending → running', undefined, run({ status: 'pending', score: null }), run({ score: null }), [{ field: 'status', from: 'pending', to: 'running' }]],
    ['running → succeeded', undefined, run(), run({ status: 'succeeded', score: 0.82 }), [{ field: 'status', from: 'running', to: 'succeeded' }]],
    ['running → failed', undefined, run(), run({ status: 'failed' }, { errorMessage: 'out of memory' }), [{ field: 'status', from: 'running', to: 'failed' }]],
    ['running → cancelled', undefined, run(), run({ status: 'cancelled' }), [{ field: 'status', from: 'running', to: 'cancelled' }]],
    ['a better win rate, when asked', ['status', 'winRate'], run(), run({ score: 0.74 }), [{ field: 'winRate', from: 0.6, to: 0.74 }]],
    ['a first win rate, when asked', ['winRate'], run({ score: null }), run({ score: 0.55 }), [{ field: 'winRate', from: null, to: 0.55 }]],
    [
      'status and win rate at once',
      ['status', 'winRate'],
      run(),
      run({ status: 'succeeded', score: 0.82 }),
      [
        { field: 'status', from: 'running', to: 'succeeded' },
        { field: 'winRate', from: 0.6, to: 0.82 },
      ],
    ],
  ])('%s', (_name, notifyOn, before, after, changes) => {
    const decision = decidePoll(watch(notifyOn, before), found(after), NOW, POLICY);

    expect(decision.write).toBe('commit');
    const events = decision.write === 'commit' ? decision.commit.enqueue : [];
    expect(events.map((e) => [e.type, e.data.changes, e.subject])).toEqual([[EVENT_TYPES.changed, changes, 'autoscientist/as_run_7']]);
  });

  it.each<[string, TrackedField[] | undefined, Snapshot, Snapshot, string]>([
    ['a win rate change is context unless asked', undefined, run(), run({ score: 0.7 }), 'refresh'],
    ['an iteration with the same figures is context', ['status', 'winRate'], run(), run({ progressPercent: 60 }, { iterationsCompleted: 3 }), 'refresh'],
    ['nothing moved', ['status', 'winRate'], run(), run(), 'none'],
  ])('%s', (_name, notifyOn, before, after, write) => {
    expect(decidePoll(watch(notifyOn, before), found(after), NOW, POLICY).write).toBe(write);
  });

  it('records the first poll of a run as its baseline, silently', () => {
    const decision = decidePoll(watch(undefined, null, { version: 0 }), found(run()), NOW, POLICY);

    expect(decision).toMatchObject({ write: 'commit', commit: { enqueue: [], snapshot: run() } });
  });
});

describe('where a run stands, in one sentence', () => {
  it.each<[string, Snapshot, string | undefined]>([
    ['succeeded, download ready', run({ status: 'succeeded', score: 0.82 }, { downloadAvailable: true, iterationsCompleted: 5 }), 'Training finished: best win rate 0.82, target 0.80, download ready'],
    ['succeeded, download not ready', run({ status: 'succeeded', score: 0.8 }), 'Training finished: best win rate 0.80, target 0.80, download not ready yet'],
    ['failed with an error', run({ status: 'failed' }, { errorMessage: 'out of GPU memory' }), 'Training failed after 2 of 5 iterations: out of GPU memory'],
    ['failed without one', run({ status: 'failed' }), 'Training failed after 2 of 5 iterations'],
    ['cancelled', run({ status: 'cancelled', score: null }), 'Training cancelled after 2 of 5 iterations (best win rate none yet, target 0.80)'],
    ['running', run({ score: 0.74 }, { iterationsCompleted: 3 }), 'Iteration 3 of 5: best win rate 0.74, target 0.80'],
    ['pending, iterations unknown', run({ status: 'pending', score: null }, { iterationsCompleted: null, maxIterations: null, targetWinRate: null }), 'Waiting to start: ? of ? iterations, target none yet'],
    ['an undocumented status', run({ status: 'paused' }), undefined],
  ])('%s', (_name, snapshot, sentence) => {
    expect(runSummary(snapshot)).toBe(sentence);
  });
});

describe('a run’s notification texts', () => {
  const finished = run({ status: 'succeeded', score: 0.82, progressPercent: 100 }, { downloadAvailable: true, iterationsCompleted: 5 });
  const event = buildWatchEvent({
    watch: { watchId: 'w_run', team: 'ml', label: null, resource: RUN },
    version: 5,
    time: NOW,
    type: EVENT_TYPES.changed,
    changes: [{ field: 'status', from: 'running', to: 'succeeded' }],
    previous: run(),
    current: finished,
  });

  it('headline the run and its transition', () => {
    expect(eventHeadline(event)).toBe('training run as_run_7: running → succeeded');
  });

  it('tell by email how the training ended, and call the figure the best win rate', () => {
    const text = eventEmailText(event);

    expect(text).toContain(['Current state:', '  Training finished: best win rate 0.82, target 0.80, download ready', '  status: succeeded', '  best win rate: 0.82', '  progress: 100%'].join('\n'));
    expect(text).not.toContain('score');
  });

  it('tell Slack the same, as its own section, with the figure under its name', () => {
    const message = slackMessage(event);

    expect(message.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'Training finished: best win rate 0.82, target 0.80, download ready' } });
    expect(JSON.stringify(message.blocks[2])).toContain('*best win rate*\\n`0.82`');
  });

  it('do not repeat the win rate beside its own change', () => {
    const changed = { ...event, data: { ...event.data, changes: [{ field: 'winRate' as const, from: 0.6, to: 0.82 }] } };

    expect(JSON.stringify(slackMessage(changed).blocks)).not.toContain('*best win rate*');
    expect(JSON.stringify(slackMessage(changed).blocks)).toContain('*winRate*');
  });
});

describe('planning a tick for runs', () => {
  const POLICY_SWEEP = { fullRefreshSeconds: 3600, overlapSeconds: 120 };
  const runWatch = (watchId: string, runId: string, snapshot: Snapshot | null, fields: Partial<Watch> = {}) => ({
    ...createWatch({ watchId, team: 't', resource: { type: 'autoscientist_run', runId } }, new Date('2026-12-04T10:00:00Z')),
    snapshot,
    version: 2,
    ...fields,
  });

  it('walks for every run not settled in a final status, once per run however many watch it', () => {
    const plan = planTick(
      [runWatch('a', 'r1', run()), runWatch('b', 'r1', run()), runWatch('c', 'r2', null), runWatch('d', 'r3', run({ status: 'succeeded' }), { consecutiveFailures: 1 })],
      { ...EMPTY_SWEEP_STATE, lastSweepAt: '2026-12-04T11:59:00Z' },
      NOW,
      POLICY_SWEEP,
    );

    expect([...plan.runWalk]).toEqual(['r1', 'r2', 'r3']);
    expect([plan.quietRuns.size, plan.refreshDue.size, plan.sweepDatasets, plan.projectLists]).toEqual([0, 0, false, []]);
  });

  it('keeps a finished run out of the walk: quiet, or one GET when its refresh is due', () => {
    const done = (id: string) => runWatch(id, `run_${id}`, run({ status: 'cancelled' }));
    const first = planTick([done('x')], EMPTY_SWEEP_STATE, NOW, POLICY_SWEEP);
    const later = planTick([done('x')], { ...EMPTY_SWEEP_STATE, lastSweepAt: new Date(NOW.getTime() - 1).toISOString() }, NOW, POLICY_SWEEP);

    expect([[...first.runWalk], [...first.refreshDue], [...first.quietRuns]]).toEqual([[], ['x'], []]);
    expect([[...later.runWalk], [...later.refreshDue], [...later.quietRuns]]).toEqual([[], [], ['x']]);
  });

  it('keeps a finished run with events still owed in the walk', () => {
    const owing = runWatch('o', 'r_o', run({ status: 'succeeded' }), { outbox: [{} as never] });

    expect([...planTick([owing], { ...EMPTY_SWEEP_STATE, lastSweepAt: new Date(NOW.getTime() - 1).toISOString() }, NOW, POLICY_SWEEP).runWalk]).toEqual(['r_o']);
  });
});
