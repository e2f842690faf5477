import { useEffect, useRef, useState } from 'preact/hooks';
import { eventSentence } from '../../domain/event-sentence';
import { api } from './api';
import { HealthBadge } from './health';
import { NotFound, useTitle } from './page';
import { StaleBanner, usePolled } from './polled';
import { Time } from './time';
import { buildTimeline, statusTone, timeTicks, type Timeline, type TimelineEvent } from './timeline';
import { resourceName, type Page, type WatchView } from './types';

const LANE = 28;
const AXIS = 34;

/** The width the picture is drawn at: its container's, so text keeps its size on a phone instead of shrinking with a viewBox. */
function useWidth(): [preact.RefObject<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(720);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setWidth(Math.max(280, Math.min(960, element.clientWidth)));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/** Status lanes over time with a time axis and a "now" line, grade changes as marks: SVG elements, every string as text. */
function TimelinePicture({ timeline, now }: { timeline: Timeline; now: number }) {
  const [ref, width] = useWidth();
  const left = width < 480 ? 84 : 110;
  const height = Math.max(1, timeline.lanes.length) * LANE + AXIS + 22;
  const x = (t: number) => left + ((t - timeline.start) / (timeline.end - timeline.start)) * (width - left - 16);
  const axisY = Math.max(1, timeline.lanes.length) * LANE + 6;
  const ticks = timeTicks(timeline.start, timeline.end, width < 480 ? 3 : 6);
  return (
    <div ref={ref} class="timeline-box">
      <svg class="timeline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby="timeline-title">
        <title id="timeline-title">
          {`Status over time: ${timeline.bars.map((bar) => bar.status).join(' → ') || 'no events yet'}${timeline.grades.length ? `; grade ${timeline.grades.map((g) => g.label).join(', ')}` : ''}`}
        </title>
        {timeline.lanes.map((lane, index) => (
          <text x={4} y={index * LANE + 18} class="lane-label">
            {lane.length > 12 && width < 480 ? `${lane.slice(0, 11)}…` : lane}
          </text>
        ))}
        {timeline.bars.map((bar) => (
          <rect x={x(bar.from)} y={bar.lane * LANE + 6} width={Math.max(3, x(bar.to) - x(bar.from))} height={LANE - 12} rx={3} class={`bar ${statusTone(bar.status)}`}>
            <title>{`${bar.status}: ${new Date(bar.from).toLocaleString()} – ${new Date(bar.to).toLocaleString()}`}</title>
          </rect>
        ))}
        <g class="axis">
          <line x1={left} x2={width - 16} y1={axisY} y2={axisY} />
          {ticks.map((tick) => (
            <g>
              <line x1={x(tick.at)} x2={x(tick.at)} y1={axisY} y2={axisY + 5} />
              <text x={x(tick.at)} y={axisY + 18} text-anchor="middle">
                {tick.label}
              </text>
            </g>
          ))}
        </g>
        {now >= timeline.start && now <= timeline.end && (
          <g class="now-mark">
            <line x1={x(now)} x2={x(now)} y1={0} y2={axisY} />
            <text x={x(now) - 3} y={axisY + 32} text-anchor="end">
              now
            </text>
          </g>
        )}
        {timeline.grades.map((mark) => (
          <g class="grade-mark">
            <line x1={x(mark.at)} x2={x(mark.at)} y1={0} y2={axisY} />
            <text x={Math.min(x(mark.at) + 3, width - 90)} y={12}>
              {`grade ${mark.label}`}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

export function WatchPage({ id }: { id: string }) {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const watch = usePolled(() => api<WatchView>('GET', `/v1/watches/${encodeURIComponent(id)}`), [id]);
  const events = usePolled(() => api<Page<TimelineEvent>>('GET', `/v1/watches/${encodeURIComponent(id)}/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), [id, cursor]);
  const w = watch.data;
  const name = w ? (w.label ?? resourceName(w.resource)) : 'Watch';
  useTitle(name);
  if (watch.errorStatus === 404) return <NotFound what="This team has no such watch: it may have been deleted, or the link is from another team." back={{ href: '#/watches', label: '← Watches' }} />;
  const now = Date.now();
  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="#/watches">← Watches</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {name}
      </h1>
      <StaleBanner polled={watch.error ? watch : events} />
      {w && (
        <dl class={`facts${watch.error ? ' stale' : ''}`}>
          <dt>Resource</dt>
          <dd>{resourceName(w.resource)}</dd>
          <dt>State</dt>
          <dd>
            <HealthBadge attention={w.health.attention} label={w.health.label} />
            {w.health.since && (
              <>
                {' '}
                since <Time iso={w.health.since} now={now} />
              </>
            )}
            {w.current && w.health.state !== 'gone' && w.health.label !== w.current.status ? <span class="sub"> (last seen {w.current.status})</span> : null}
          </dd>
          <dt>Grade</dt>
          <dd>{w.current?.grade ?? '–'}</dd>
          <dt>Notify on</dt>
          <dd>{w.notifyOn.join(', ')}</dd>
          <dt>Last change</dt>
          <dd>
            <Time iso={w.lastChangeAt} now={now} empty="none yet" />
          </dd>
          <dt>Last checked</dt>
          <dd>
            <Time iso={w.lastPolledAt} now={now} />
          </dd>
          <dt>Last error</dt>
          <dd>{w.lastError ? `${w.lastError.kind}: ${w.lastError.message}` : '–'}</dd>
        </dl>
      )}
      <h2>Timeline</h2>
      {events.data && <TimelinePicture timeline={buildTimeline(events.data.items, now, w ? Date.parse(w.createdAt) : undefined)} now={now} />}
      <h2>Events</h2>
      {events.data?.items.length === 0 && <p class="hint">No events yet: they appear when the status or grade changes.</p>}
      <ul class="events">
        {events.data?.items.map((event) => (
          <li>
            <details>
              <summary>
                <Time iso={event.time} now={now} /> {eventSentence(event)}
              </summary>
              <pre>{JSON.stringify(event, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ul>
      {(cursors.length > 1 || events.data?.nextCursor) && (
        <nav class="pager" aria-label="Pages of events">
          <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer 100
          </button>
          <span>Page {cursors.length}</span>
          <button type="button" disabled={!events.data?.nextCursor} onClick={() => events.data?.nextCursor && setCursors([...cursors, events.data.nextCursor])}>
            Older 100
          </button>
        </nav>
      )}
    </section>
  );
}
