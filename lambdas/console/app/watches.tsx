import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { statusTone } from './timeline';
import { resourceName, when, type Page, type WatchView } from './types';

/** How often the lists refresh themselves: changes show without a reload. */
export const REFRESH_MS = 3_000;

/** Loads and re-loads something every REFRESH_MS; `reload` forces it now. */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    let live = true;
    load()
      .then((value) => live && (setData(value), setError(null)))
      .catch((problem: unknown) => live && setError(problem instanceof Error ? problem.message : String(problem)));
    const timer = setTimeout(reload, REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload };
}

async function allWatches(): Promise<WatchView[]> {
  const items: WatchView[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<WatchView> = await api('GET', `/v1/watches?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export function StatusBadge({ status }: { status: string | null | undefined }) {
  return <span class={`badge ${statusTone(status)}`}>{status ?? 'unknown'}</span>;
}

export function WatchesPage() {
  const { data, error, reload } = usePolled(allWatches, []);
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const watches = data ?? [];
  const statuses = [...new Set(watches.map((w) => w.current?.status).filter((s): s is string => Boolean(s)))].sort();
  const needle = text.trim().toLowerCase();
  const shown = watches.filter(
    (w) =>
      (!status || w.current?.status === status) &&
      (!needle || `${w.label ?? ''} ${resourceName(w.resource)} ${w.id}`.toLowerCase().includes(needle)),
  );
  return (
    <section aria-labelledby="watches-title">
      <h1 id="watches-title">Watches</h1>
      <AddWatchForm onAdded={reload} />
      <div class="filters" role="search">
        <label>
          Filter <input type="search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} placeholder="label, id, resource" />
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {data === undefined && !error ? <p>Loading…</p> : null}
      {data !== undefined && shown.length === 0 ? <p class="hint">No watches{needle || status ? ' match this filter' : ' yet: add one above'}.</p> : null}
      {shown.length > 0 && (
        <table class="watches">
          <thead>
            <tr>
              <th scope="col">Watch</th>
              <th scope="col">Status</th>
              <th scope="col">Grade</th>
              <th scope="col">Progress</th>
              <th scope="col">Last checked</th>
              <th scope="col">Last error</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((watch) => (
              <WatchRow key={watch.id} watch={watch} onChanged={reload} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function WatchRow({ watch, onChanged }: { watch: WatchView; onChanged: () => void }) {
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
  const progress = watch.current?.progressPercent;
  return (
    <tr data-watch-id={watch.id}>
      <td data-label="Watch">
        <a href={`#/watches/${encodeURIComponent(watch.id)}`}>{watch.label ?? resourceName(watch.resource)}</a>
        <div class="sub">
          {resourceName(watch.resource)}
          {watch.paused ? <span class="badge idle">paused</span> : null}
        </div>
        {editing && <EditWatch watch={watch} onDone={() => (setEditing(false), onChanged())} />}
      </td>
      <td data-label="Status">
        <StatusBadge status={watch.current?.status} />
      </td>
      <td data-label="Grade">{watch.current?.grade ?? '–'}</td>
      <td data-label="Progress">
        {typeof progress === 'number' && statusTone(watch.current?.status) === 'busy' ? (
          <progress max={100} value={progress} aria-label={`${progress}% done`}>
            {progress}%
          </progress>
        ) : (
          '–'
        )}
      </td>
      <td data-label="Last checked">{when(watch.lastPolledAt)}</td>
      <td data-label="Last error">{watch.lastError ? `${watch.lastError.kind}: ${watch.lastError.message}` : '–'}</td>
      <td data-label="Actions" class="actions">
        <button type="button" onClick={() => act('PATCH', { paused: !watch.paused })}>
          {watch.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
          Edit
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => {
            if (confirm(`Stop watching ${watch.label ?? resourceName(watch.resource)}? Its history is kept 90 days.`)) void act('DELETE');
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
          <input name="datasetId" value={datasetId} required onInput={(e) => setDatasetId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.datasetId'))} aria-describedby="err-dataset" />
          {fieldError('resource.datasetId', 'err-dataset')}
        </label>
      ) : (
        <>
          <label>
            Project id{' '}
            <input name="projectId" inputMode="numeric" value={projectId} required onInput={(e) => setProjectId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.projectId'))} aria-describedby="err-project" />
            {fieldError('resource.projectId', 'err-project')}
          </label>
          <label>
            Correction id{' '}
            <input name="correctionId" inputMode="numeric" value={correctionId} required onInput={(e) => setCorrectionId((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('resource.correctionId'))} aria-describedby="err-correction" />
            {fieldError('resource.correctionId', 'err-correction')}
          </label>
        </>
      )}
      <label>
        Label <input name="label" value={label} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} aria-invalid={Boolean(problem?.forField('label'))} aria-describedby="err-label" />
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
