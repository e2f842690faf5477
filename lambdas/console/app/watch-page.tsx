import { api } from './api';
import { buildTimeline, statusTone, type Timeline, type TimelineEvent } from './timeline';
import { resourceName, when, type Page, type WatchView } from './types';
import { StatusBadge, usePolled } from './watches';

const WIDTH = 720;
const LANE = 28;
const LEFT = 110;

/** Status lanes over time, grade changes as marks: drawn with SVG elements, every string as text. */
function TimelinePicture({ timeline }: { timeline: Timeline }) {
  const height = Math.max(1, timeline.lanes.length) * LANE + 30;
  const x = (t: number) => LEFT + ((t - timeline.start) / (timeline.end - timeline.start)) * (WIDTH - LEFT - 10);
  return (
    <svg class="timeline" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby="timeline-title">
      <title id="timeline-title">
        {`Status over time: ${timeline.bars.map((bar) => bar.status).join(' → ') || 'no events yet'}${timeline.grades.length ? `; grade ${timeline.grades.map((g) => g.label).join(', ')}` : ''}`}
      </title>
      {timeline.lanes.map((lane, index) => (
        <text x={4} y={index * LANE + 18} class="lane-label">
          {lane}
        </text>
      ))}
      {timeline.bars.map((bar) => (
        <rect x={x(bar.from)} y={bar.lane * LANE + 6} width={Math.max(3, x(bar.to) - x(bar.from))} height={LANE - 12} rx={3} class={`bar ${statusTone(bar.status)}`}>
          <title>{`${bar.status}: ${new Date(bar.from).toLocaleString()} – ${new Date(bar.to).toLocaleString()}`}</title>
        </rect>
      ))}
      {timeline.grades.map((mark) => (
        <g class="grade-mark">
          <line x1={x(mark.at)} x2={x(mark.at)} y1={0} y2={height - 22} />
          <text x={x(mark.at) + 3} y={height - 8}>
            {`grade ${mark.label}`}
          </text>
        </g>
      ))}
    </svg>
  );
}

export function WatchPage({ id }: { id: string }) {
  const watch = usePolled(() => api<WatchView>('GET', `/v1/watches/${encodeURIComponent(id)}`), [id]);
  const events = usePolled(() => api<Page<TimelineEvent>>('GET', `/v1/watches/${encodeURIComponent(id)}/events?limit=100`), [id]);
  const w = watch.data;
  return (
    <section aria-labelledby="watch-title">
      <p>
        <a href="#/watches">← Watches</a>
      </p>
      <h1 id="watch-title">{w ? (w.label ?? resourceName(w.resource)) : 'Watch'}</h1>
      {watch.error && (
        <p role="alert" class="error">
          {watch.error}
        </p>
      )}
      {w && (
        <dl class="facts">
          <dt>Resource</dt>
          <dd>{resourceName(w.resource)}</dd>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={w.current?.status} />
          </dd>
          <dt>Grade</dt>
          <dd>{w.current?.grade ?? '–'}</dd>
          <dt>Notify on</dt>
          <dd>{w.notifyOn.join(', ')}</dd>
          <dt>Last checked</dt>
          <dd>{when(w.lastPolledAt)}</dd>
          <dt>Last error</dt>
          <dd>{w.lastError ? `${w.lastError.kind}: ${w.lastError.message}` : '–'}</dd>
        </dl>
      )}
      <h2>Timeline</h2>
      {events.data && <TimelinePicture timeline={buildTimeline(events.data.items, Date.now(), w ? Date.parse(w.createdAt) : undefined)} />}
      <h2>Events</h2>
      {events.data?.items.length === 0 && <p class="hint">No events yet: they appear when the status or grade changes.</p>}
      <ol class="events">
        {events.data?.items.map((event) => (
          <li>
            <details>
              <summary>
                <time dateTime={event.time}>{when(event.time)}</time> {event.type.replace('io.watchpost.', '')}{' '}
                {event.data.changes.map((c) => `${c.field} ${c.from ?? '–'} → ${c.to ?? '–'}`).join(', ')}
              </summary>
              <pre>{JSON.stringify(event, null, 2)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
