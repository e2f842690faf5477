import { describe, expect, it } from 'vitest';
import { buildTimeline, statusTone, type TimelineEvent } from '../../lambdas/console/app/timeline';

const at = (minute: number) => Date.parse('2026-11-24T10:00:00Z') + minute * 60_000;
function changed(minute: number, changes: TimelineEvent['data']['changes'], status: string, grade: string | null = null): TimelineEvent {
  return { id: `e${minute}`, type: 'io.watchpost.resource.changed', time: new Date(at(minute)).toISOString(), data: { changes, current: { status, grade } } };
}

describe('the timeline picture of a watch', () => {
  it('draws one lane per status and one bar per stretch, from the watch’s creation to now, newest-first input included', () => {
    const events = [
      changed(30, [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: null, to: 'B' }], 'succeeded', 'B'),
      changed(10, [{ field: 'status', from: 'pending', to: 'running' }], 'running'),
    ];

    const timeline = buildTimeline(events, at(45), at(0));

    expect(timeline.lanes).toEqual(['pending', 'running', 'succeeded']);
    expect(timeline.bars).toEqual([
      { lane: 0, status: 'pending', from: at(0), to: at(10) },
      { lane: 1, status: 'running', from: at(10), to: at(30) },
      { lane: 2, status: 'succeeded', from: at(30), to: at(45) },
    ]);
    expect(timeline.grades).toEqual([{ at: at(30), label: '– → B' }]);
    expect([timeline.start, timeline.end]).toEqual([at(0), at(45)]);
  });

  it('reuses a lane for a status seen again, marks grade-only changes, and closes a gone watch in its own lane', () => {
    const events = [
      changed(5, [{ field: 'status', from: 'succeeded', to: 'running' }], 'running'),
      changed(8, [{ field: 'status', from: 'running', to: 'succeeded' }], 'succeeded'),
      changed(9, [{ field: 'grade', from: 'B', to: 'C' }], 'succeeded', 'C'),
      { id: 'g', type: 'io.watchpost.resource.gone', time: new Date(at(12)).toISOString(), data: { changes: [], current: null } },
    ];

    const timeline = buildTimeline(events, at(20));

    expect(timeline.lanes).toEqual(['succeeded', 'running', 'gone']);
    expect(timeline.bars.map((bar) => [bar.lane, bar.from, bar.to])).toEqual([
      [0, at(5), at(5)],
      [1, at(5), at(8)],
      [0, at(8), at(12)],
      [2, at(12), at(20)],
    ]);
    expect(timeline.grades).toEqual([{ at: at(9), label: 'B → C' }]);
  });

  it('has nothing to draw before the first event, and a span that is never zero', () => {
    const timeline = buildTimeline([], at(0));

    expect(timeline).toEqual({ lanes: [], bars: [], grades: [], start: at(0), end: at(0) + 1 });
  });

  it('colours statuses of both providers by what they mean', () => {
    expect(['succeeded', 'FINISHED', 'failed', 'FAILED', 'running', 'ANNOTATING', 'pending', 'CREATED', null].map(statusTone)).toEqual([
      'ok',
      'ok',
      'bad',
      'bad',
      'busy',
      'busy',
      'idle',
      'idle',
      'idle',
    ]);
  });
});

describe('the time axis', () => {
  const at = (iso: string) => Date.parse(iso);
  it('picks the smallest round step that gives at most the asked number of ticks, in the viewer’s zone', async () => {
    const { timeTicks } = await import('../../lambdas/console/app/timeline');
    expect(timeTicks(at('2026-12-04T10:07:00Z'), at('2026-12-04T11:50:00Z'), 6, 0)).toEqual([
      { at: at('2026-12-04T10:30:00Z'), label: '10:30' },
      { at: at('2026-12-04T11:00:00Z'), label: '11:00' },
      { at: at('2026-12-04T11:30:00Z'), label: '11:30' },
    ]);
    expect(timeTicks(at('2026-12-04T10:07:00Z'), at('2026-12-04T11:50:00Z'), 6, 60).map((t) => t.label)).toEqual(['11:30', '12:00', '12:30']);
  });

  it('labels days once a step spans them, seconds below a minute, and a very short history by its start', async () => {
    const { timeTicks } = await import('../../lambdas/console/app/timeline');
    expect(timeTicks(at('2026-12-01T05:00:00Z'), at('2026-12-04T05:00:00Z'), 3, 0).map((t) => t.label)).toEqual(['2 Dec', '3 Dec', '4 Dec']);
    expect(timeTicks(at('2026-12-04T10:00:05Z'), at('2026-12-04T10:00:45Z'), 6, 0).map((t) => t.label)).toEqual(['10:00:10', '10:00:20', '10:00:30', '10:00:40']);
    expect(timeTicks(at('2026-12-04T10:00:01Z'), at('2026-12-04T10:00:04Z'), 6, 0)).toEqual([{ at: at('2026-12-04T10:00:01Z'), label: '10:00:01' }]);
  });
});
