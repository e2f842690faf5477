import { useState } from 'preact/hooks';
import { attentionRank } from '../../domain/health';
import { api, ApiError } from './api';
import { HealthBadge } from './health';
import { useTitle } from './page';
import { StaleBanner, usePolled } from './polled';
import { statusTone } from './timeline';
import { Time } from './time';
import { resourceName, type Page, type WatchView } from './types';

export { usePolled } from './polled';

/** One request per refresh: the first page of 100 (a team past that pages with the buttons below). */
function watchesPage(cursor: string | null): () => Promise<Page<WatchView>> {
  return () => api('GET', `/v1/watches?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  return <span class={`badge ${statusTone(status)}`}>{status ?? 'unknown'}</span>;
}

/** Attention first (failing, gone, awaiting input…), then the most recent change. */
export function byAttention(a: WatchView, b: WatchView): number {
  const rank = attentionRank(a.health.attention) - attentionRank(b.health.attention);
  if (rank !== 0) return rank;
  const last = (w: WatchView) => w.lastChangeAt ?? w.createdAt;
  return last(b).localeCompare(last(a));
}

/** "1 watch failing · 2 awaiting input · 3 changes in the last hour": what needs a person, counted. */
export function watchSummary(watches: WatchView[], now: number): string[] {
  const count = (state: string) => watches.filter((w) => w.health.state === state).length;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const parts: string[] = [];
  if (count('failing') > 0) parts.push(`${plural(count('failing'), 'watch', 'watches')} failing`);
  if (count('gone') > 0) parts.push(`${plural(count('gone'), 'watch', 'watches')} gone`);
  if (count('failed') > 0) parts.push(`${count('failed')} failed`);
  if (count('awaiting_input') > 0) parts.push(`${count('awaiting_input')} awaiting input`);
  const recent = watches.filter((w) => w.lastChangeAt && now - Date.parse(w.lastChangeAt) < 3_600_000).length;
  parts.push(`${plural(recent, 'change', 'changes')} in the last hour`);
  return parts;
}

export function WatchesPage() {
  useTitle('Watches');
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const polled = usePolled(watchesPage(cursor), [cursor]);
  const { data, reload } = polled;
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const watches = data?.items ?? [];
  const states = [...new Set(watches.map((w) => w.health.label))].sort();
  const needle = text.trim().toLowerCase();
  const shown = watches
    .filter((w) => (!status || w.health.label === status) && (!needle || `${w.label ?? ''} ${resourceName(w.resource)} ${w.id}`.toLowerCase().includes(needle)))
    .sort(byAttention);
  const now = Date.now();
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Watches
      </h1>
      <StaleBanner polled={polled} />
      {data && (
        <p class="summary" data-testid="summary">
          {watchSummary(watches, now).map((part, index) => (
            <span>
              {index > 0 ? ' · ' : ''}
              {part}
            </span>
          ))}
        </p>
      )}
      <AddWatchForm onAdded={reload} />
      <div class="filters" role="search">
        <label>
          Filter <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="label, id, resource" />
        </label>
        <label>
          State{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {states.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {data === undefined && !polled.error ? <p>Loading…</p> : null}
      {data !== undefined && shown.length === 0 ? <p class="hint">No watches{needle || status ? ' match this filter' : ' yet: add one above'}.</p> : null}
      {shown.length > 0 && (
        <table class={`watches stacked${polled.error ? ' stale' : ''}`}>
          <thead>
            <tr>
              <th scope="col">Watch</th>
              <th scope="col">State</th>
              <th scope="col">Grade</th>
              <th scope="col">Progress</th>
              <th scope="col">Last change</th>
              <th scope="col">Last checked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((watch) => (
              <WatchRow key={watch.id} watch={watch} now={now} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
      {(cursors.length > 1 || data?.nextCursor) && (
        <nav class="pager" aria-label="Pages of watches">
          <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous 100
          </button>
          <span>Page {cursors.length}</span>
          <button type="button" disabled={!data?.nextCursor} onClick={() => data?.nextCursor && setCursors([...cursors, data.nextCursor])}>
            Next 100
          </button>
        </nav>
      )}
    </section>
  );
}

function WatchRow({ watch, now, onChanged }: { watch: WatchView; now: number; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const act = async (method: 'PATCH' | 'DELETE', body?: unknown) => {
    setProblem(null);
    try {
      await api(method, `/v1/watches/${encodeURIComponent(watch.id)}`, body);
      onChanged();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  };
  const name = watch.label ?? resourceName(watch.resource);
  const health = watch.health;
  const progress = watch.current?.progressPercent;
  const gone = health.state === 'gone';
  return (
    <tr data-watch-id={watch.id} data-state={health.state}>
      <td data-label="Watch">
        <a href={`#/watches/${encodeURIComponent(watch.id)}`}>{name}</a>
        <div class="sub">{resourceName(watch.resource)}</div>
        {editing && <EditWatch watch={watch} onDone={() => (setEditing(false), onChanged())} />}
      </td>
      <td data-label="State">
        <HealthBadge attention={health.attention} label={health.label} />
        {health.since && (
          <div class="sub">
            since <Time iso={health.since} now={now} />
          </div>
        )}
        {!gone && watch.current && health.label !== watch.current.status && health.state !== 'failing' && health.state !== 'erroring' ? <div class="sub">{watch.current.status}</div> : null}
        {(health.state === 'failing' || health.state === 'erroring') && watch.lastError ? <div class="sub">{watch.lastError.kind}: {watch.lastError.message}</div> : null}
      </td>
      <td data-label="Grade">{watch.current?.grade ?? '–'}</td>
      <td data-label="Progress">
        {!gone && typeof progress === 'number' && health.state === 'running' ? (
          <progress max={100} value={progress} aria-label={`${name}: ${progress}% done`}>
            {progress}%
          </progress>
        ) : (
          '–'
        )}
      </td>
      <td data-label="Last change">
        <Time iso={watch.lastChangeAt} now={now} empty="none yet" />
      </td>
      <td data-label="Last checked">
        <Time iso={watch.lastPolledAt} now={now} />
      </td>
      <td data-label="Actions" class="actions">
        {!gone && (
          <>
            <button type="button" aria-label={`${watch.paused ? 'Resume' : 'Pause'} ${name}`} onClick={() => act('PATCH', { paused: !watch.paused })}>
              {watch.paused ? 'Resume' : 'Pause'}
            </button>
            <button type="button" aria-label={`Edit ${name}`} onClick={() => setEditing(!editing)} aria-expanded={editing}>
              Edit
            </button>
          </>
        )}
        <button
          type="button"
          class="danger"
          aria-label={`Delete ${name}`}
          onClick={() => {
            if (confirm(`Stop watching ${name}? Its history is kept 90 days.`)) void act('DELETE');
          }}
        >
          Delete
        </button>
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
      </td>
    </tr>
  );
}

const FIELDS = ['status', 'grade', 'score'] as const;

function EditWatch({ watch, onDone }: { watch: WatchView; onDone: () => void }) {
  const [label, setLabel] = useState(watch.label ?? '');
  const [notifyOn, setNotifyOn] = useState<string[]>(watch.notifyOn);
  const [problem, setProblem] = useState<ApiError | null>(null);
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await api('PATCH', `/v1/watches/${encodeURIComponent(watch.id)}`, { label: label.trim() === '' ? null : label, notifyOn });
      onDone();
    } catch (error) {
      setProblem(error instanceof ApiError ? error : new ApiError(0, String(error), undefined, []));
    }
  };
  return (
    <form class="inline" onSubmit={save}>
      <label>
        Label <input value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('label'))} />
      </label>
      {problem?.forField('label') && <span class="error">{problem.forField('label')}</span>}
      <fieldset>
        <legend>Notify on</legend>
        {FIELDS.map((field) => (
          <label>
            <input
              type="checkbox"
              checked={notifyOn.includes(field)}
              onChange={(e) => setNotifyOn((e.target as HTMLInputElement).checked ? [...notifyOn, field] : notifyOn.filter((f) => f !== field))}
            />{' '}
            {field}
          </label>
        ))}
      </fieldset>
      {problem && !problem.forField('label') && <span class="error">{problem.forField('notifyOn') ?? problem.message}</span>}
      <button type="submit">Save</button>
    </form>
  );
}

function AddWatchForm({ onAdded }: { onAdded: () => void }) {
  const [type, setType] = useState<'dataset' | 'correction_session'>('dataset');
  const [datasetId, setDatasetId] = useState('');
  const [projectId, setProjectId] = useState('');
  const [correctionId, setCorrectionId] = useState('');
  const [label, setLabel] = useState('');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const resource = type === 'dataset' ? { type, datasetId } : { type, projectId: Number(projectId), correctionId: Number(correctionId) };
    try {
      await api('POST', '/v1/watches', { resource, ...(label.trim() ? { label } : {}) });
      setDatasetId('');
      setProjectId('');
      setCorrectionId('');
      setLabel('');
      onAdded();
    } catch (error) {
      setProblem(error instanceof ApiError ? error : new ApiError(0, String(error), undefined, []));
    } finally {
      setBusy(false);
    }
  };
  const fieldError = (path: string, id: string) => {
    const message = problem?.forField(path);
    return message ? (
      <span id={id} class="error field-error">
        {message}
      </span>
    ) : null;
  };
  const shown = new Set(['resource.datasetId', 'resource.projectId', 'resource.correctionId', 'label']);
  const general = problem && !problem.fields.some((f) => shown.has(f.path)) ? (problem.fields[0]?.message ?? problem.message) : null;
  return (
    <form class="add" onSubmit={submit} aria-label="Add a watch">
      <label>
        Resource{' '}
        <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as typeof type)}>
          <option value="dataset">Adaption dataset</option>
          <option value="correction_session">DeepOpinion correction session</option>
        </select>
      </label>
      {type === 'dataset' ? (
        <label>
          Dataset id{' '}
          <input name="datasetId" value={datasetId} required onInput={(e) => setDatasetId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.datasetId'))} aria-describedby={problem?.forField('resource.datasetId') ? 'err-dataset' : undefined} />
          {fieldError('resource.datasetId', 'err-dataset')}
        </label>
      ) : (
        <>
          <label>
            Project id{' '}
            <input name="projectId" inputMode="numeric" value={projectId} required onInput={(e) => setProjectId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.projectId'))} aria-describedby={problem?.forField('resource.projectId') ? 'err-project' : undefined} />
            {fieldError('resource.projectId', 'err-project')}
          </label>
          <label>
            Correction id{' '}
            <input name="correctionId" inputMode="numeric" value={correctionId} required onInput={(e) => setCorrectionId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.correctionId'))} aria-describedby={problem?.forField('resource.correctionId') ? 'err-correction' : undefined} />
            {fieldError('resource.correctionId', 'err-correction')}
          </label>
        </>
      )}
      <label>
        Label <input name="label" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('label'))} aria-describedby={problem?.forField('label') ? 'err-label' : undefined} />
        {fieldError('label', 'err-label')}
      </label>
      <button type="submit" disabled={busy}>
        Add watch
      </button>
      {general && (
        <p role="alert" class="error">
          {general}
        </p>
      )}
    </form>
  );
}
