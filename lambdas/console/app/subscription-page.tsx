import { useState } from 'preact/hooks';
import { deliveryTarget } from '../../domain/delivery-target';
import { FILTERABLE_EVENT_TYPES, GRADE_FILTERS } from '../../domain/filter-options';
import type { SubscriptionFilter } from '../../domain/subscription';
import { api, ApiError } from './api';
import { HealthBadge } from './health';
import { NotFound, useTitle } from './page';
import { StaleBanner, usePolled } from './polled';
import { latencyText, percentOf, SecretPanel, subscriptionName } from './subscriptions';
import { Time } from './time';
import type { Attempt, SubscriptionView } from './types';

/** How much of a receiver's answer a row shows; the whole of it is in the cell's title. */
const ANSWER_LIMIT = 120;

const RESULT_TONE: Record<string, string> = { delivered: 'a-ok', failed: 'a-critical', skipped: 'a-idle' };

export function SubscriptionPage({ id }: { id: string }) {
  const polled = usePolled(() => api<SubscriptionView>('GET', `/v1/subscriptions/${encodeURIComponent(id)}`), [id]);
  const s = polled.data;
  useTitle(s ? subscriptionName(s) : 'Subscription');
  const [message, setMessage] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ secret: string; until: string } | null>(null);
  const [failedOnly, setFailedOnly] = useState(false);
  if (polled.errorStatus === 404) return <NotFound what="This team has no such subscription: it may have been deleted." back={{ href: '#/subscriptions', label: '← Subscriptions' }} />;
  const base = `/v1/subscriptions/${encodeURIComponent(id)}`;
  const run = async (what: string, call: () => Promise<{ ok?: boolean; statusCode?: number | null; error?: string | null } | undefined>) => {
    setMessage(null);
    try {
      const outcome = await call();
      setMessage(outcome && outcome.ok === false ? `${what} failed: ${outcome.error ?? `answer ${outcome.statusCode}`}` : `${what}: done${outcome?.statusCode ? ` (${outcome.statusCode})` : ''}`);
    } catch (error) {
      setMessage(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    polled.reload();
  };
  const name = s ? subscriptionName(s) : id;
  const now = Date.now();
  const attempts = s?.delivery?.recentAttempts ?? [];
  const shown = failedOnly ? attempts.filter((a) => a.result === 'failed') : attempts;
  // One Resend per event: on its newest attempt, unless that was a skip (paused) or a test.
  const newest = new Set<Attempt>();
  const seen = new Set<string>();
  for (const attempt of attempts) {
    if (seen.has(attempt.eventId)) continue;
    seen.add(attempt.eventId);
    if (attempt.result !== 'skipped' && !attempt.eventId.startsWith('evt_test_')) newest.add(attempt);
  }
  const off = s ? s.paused || s.status === 'disabled' : false;
  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="#/subscriptions">← Subscriptions</a>
      </p>
      <h1 id="page-title" tabIndex={-1}>
        {name}
      </h1>
      <StaleBanner polled={polled} />
      {s && (
        <div class={polled.error ? 'stale' : ''}>
          <dl class="facts">
            <dt>Health</dt>
            <dd>
              <HealthBadge attention={s.health.attention} label={s.health.state} /> {s.health.reason}
            </dd>
            <dt>Sends to</dt>
            <dd>
              {s.channel} · <code>{deliveryTarget(s)}</code>
            </dd>
            <dt>Delivered (24 h)</dt>
            <dd>
              {percentOf(s.last24h.successRate)}: {s.last24h.delivered} delivered, {s.last24h.failed} failed
            </dd>
            <dt>Latency (24 h)</dt>
            <dd>{latencyText(s.last24h.latencyMs)}</dd>
            <dt>Last success</dt>
            <dd>
              <Time iso={s.lastSuccessAt} now={now} empty="never" />
            </dd>
            {s.failingSince && (
              <>
                <dt>Failing since</dt>
                <dd>
                  <Time iso={s.failingSince} now={now} />
                </dd>
              </>
            )}
            {!off && (
              <>
                <dt>Next retry</dt>
                <dd>{s.delivery?.nextRetryAt ? <Time iso={s.delivery.nextRetryAt} now={now} /> : 'none waiting'}</dd>
              </>
            )}
            <dt>Filter</dt>
            <dd>
              <code>{s.filter ? JSON.stringify(s.filter) : 'every event of the team'}</code>
            </dd>
          </dl>
          <div class="actions">
            {s.channel !== 'email' && (
              <button type="button" onClick={() => run('Test', () => api('POST', `${base}/test`))}>
                Send test
              </button>
            )}
            <button type="button" onClick={() => run(off ? 'Resume' : 'Pause', () => api('PATCH', base, { paused: !off }))}>
              {off ? 'Resume' : 'Pause'}
            </button>
            {s.channel === 'webhook' && (
              <button
                type="button"
                onClick={async () => {
                  if (!confirm(`Give ${name} a new signing secret? The old one keeps signing for 24 hours.`)) return;
                  setSecret(null);
                  try {
                    const rotated = await api<{ secret: string; previousSecretExpiresAt: string }>('POST', `${base}/rotate-secret`, {});
                    setSecret({ secret: rotated.secret, until: rotated.previousSecretExpiresAt });
                  } catch (error) {
                    setMessage(`Rotate failed: ${error instanceof Error ? error.message : String(error)}`);
                  }
                }}
              >
                Rotate secret
              </button>
            )}
            <button
              type="button"
              class="danger"
              onClick={async () => {
                if (!confirm(`Delete ${name}? It stops receiving events now; this cannot be undone.`)) return;
                try {
                  await api('DELETE', base);
                  location.hash = '#/subscriptions';
                } catch (error) {
                  setMessage(`Delete failed: ${error instanceof Error ? error.message : String(error)}`);
                }
              }}
            >
              Delete
            </button>
          </div>
          {message && (
            <p role="status" class="hint">
              {message}
            </p>
          )}
          {secret && <SecretPanel secret={secret.secret} owner={`${name} (${s.id})`} note={`shown this once. The old secret keeps signing until ${new Date(secret.until).toLocaleString()}.`} />}
          <h2>Filter</h2>
          <FilterForm subscription={s} onSaved={polled.reload} />
          <h2>Attempts</h2>
          <label class="inline-check">
            <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly((e.target as HTMLInputElement).checked)} /> Failed only
          </label>
          {shown.length === 0 ? (
            <p class="hint">{failedOnly ? 'No failed attempt among the last 20.' : 'No attempts yet.'}</p>
          ) : (
            <table class="attempts stacked">
              <caption>The last {attempts.length} attempts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Result</th>
                  <th scope="col">Event</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Answer</th>
                  <th scope="col">
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((a) => {
                  const answer = a.result === 'skipped' ? `skipped: ${a.error ?? ''}` : [a.statusCode ?? (a.result === 'delivered' ? 'handed on' : 'no answer'), a.error].filter(Boolean).join(' · ');
                  const summary = a.summary ?? a.eventId;
                  return (
                    <tr class={`result-${a.result}`}>
                      <td data-label="When">
                        <Time iso={a.at} now={now} />
                      </td>
                      <td data-label="Result">
                        <span class={`badge ${RESULT_TONE[a.result] ?? 'a-notice'}`}>{a.result}</span>
                        {a.attempt > 1 && <div class="sub">attempt {a.attempt}</div>}
                      </td>
                      <td data-label="Event">
                        {a.watchId ? <a href={`#/watches/${encodeURIComponent(a.watchId)}`}>{summary}</a> : summary}
                        <div class="sub">
                          <code>{a.eventId}</code>
                        </div>
                      </td>
                      <td data-label="Latency">{a.result === 'skipped' ? '–' : `${a.latencyMs} ms`}</td>
                      <td data-label="Answer" title={String(answer)}>
                        {String(answer).length > ANSWER_LIMIT ? `${String(answer).slice(0, ANSWER_LIMIT)}…` : answer}
                      </td>
                      <td data-label="Action">
                        {newest.has(a) && (
                          <button type="button" aria-label={`Resend ${summary} (${a.eventId})`} onClick={() => run('Resend', () => api('POST', `${base}/redeliver`, { eventId: a.eventId }))}>
                            Resend
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

const list = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);

/** The filter, field by field; the API validates, and its 422/400 messages land beside the field they name. */
function FilterForm({ subscription, onSaved }: { subscription: SubscriptionView; onSaved: () => void }) {
  const f = subscription.filter ?? {};
  const [watchIds, setWatchIds] = useState((f.watchIds ?? []).join(', '));
  const [statuses, setStatuses] = useState((f.statuses ?? []).join(', '));
  const [eventTypes, setEventTypes] = useState<string[]>(f.eventTypes ?? []);
  const [changes, setChanges] = useState<string[]>(f.changes ?? []);
  const [resourceTypes, setResourceTypes] = useState<string[]>(f.resourceTypes ?? []);
  const [grade, setGrade] = useState<string>(f.grade ?? '');
  const [description, setDescription] = useState(subscription.description ?? '');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setSaved(false);
    const filter: Record<string, unknown> = {};
    if (list(watchIds).length) filter.watchIds = list(watchIds);
    if (resourceTypes.length) filter.resourceTypes = resourceTypes;
    if (changes.length) filter.changes = changes;
    if (list(statuses).length) filter.statuses = list(statuses);
    if (eventTypes.length) filter.eventTypes = eventTypes;
    if (grade) filter.grade = grade;
    try {
      await api('PATCH', `/v1/subscriptions/${encodeURIComponent(subscription.id)}`, {
        filter: Object.keys(filter).length ? (filter as SubscriptionFilter) : null,
        description: description.trim() ? description : null,
      });
      setSaved(true);
      onSaved();
    } catch (error) {
      setProblem(error instanceof ApiError ? error : new ApiError(0, String(error), undefined, []));
    }
  };
  const message = (path: string) => problem?.forField(path);
  const errorFor = (path: string, id: string) =>
    message(path) ? (
      <span id={id} class="error field-error">
        {message(path)}
      </span>
    ) : null;
  const described = (path: string, id: string) => ({ 'aria-invalid': Boolean(message(path)), 'aria-describedby': message(path) ? id : undefined });
  const named = new Set(['filter.watchIds', 'filter.statuses', 'filter.eventTypes', 'filter.changes', 'filter.resourceTypes', 'filter.grade', 'description']);
  const general = problem && !problem.fields.some((field) => [...named].some((path) => field.path === path || field.path.startsWith(`${path}.`))) ? (problem.fields[0] ? `${problem.fields[0].path}: ${problem.fields[0].message}` : problem.message) : null;
  const checkboxes = (legend: string, path: string, options: readonly string[], value: string[], set: (next: string[]) => void) => (
    <fieldset {...(message(path) ? { 'aria-describedby': `err-${path.replace('.', '-')}` } : {})}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label>
          <input type="checkbox" checked={value.includes(option)} onChange={(e) => set((e.target as HTMLInputElement).checked ? [...value, option] : value.filter((v) => v !== option))} /> {option}
        </label>
      ))}
      {errorFor(path, `err-${path.replace('.', '-')}`)}
    </fieldset>
  );
  return (
    <form class="filter-form" onSubmit={save} aria-label={`Filter of ${subscriptionName(subscription)}`}>
      <label>
        Watch ids (comma-separated; none: every watch)
        <input name="watchIds" value={watchIds} onInput={(e) => setWatchIds((e.target as HTMLInputElement).value)} {...described('filter.watchIds', 'err-filter-watchIds')} />
        {errorFor('filter.watchIds', 'err-filter-watchIds')}
      </label>
      {checkboxes('Resource types', 'filter.resourceTypes', ['dataset', 'correction_session'], resourceTypes, setResourceTypes)}
      {checkboxes('Event types', 'filter.eventTypes', FILTERABLE_EVENT_TYPES, eventTypes, setEventTypes)}
      {checkboxes('Changed fields (change events)', 'filter.changes', ['status', 'grade', 'score'], changes, setChanges)}
      <label>
        New statuses (comma-separated, change events)
        <input name="statuses" value={statuses} onInput={(e) => setStatuses((e.target as HTMLInputElement).value)} {...described('filter.statuses', 'err-filter-statuses')} />
        {errorFor('filter.statuses', 'err-filter-statuses')}
      </label>
      <label>
        Grade move
        <select name="grade" value={grade} onChange={(e) => setGrade((e.target as HTMLSelectElement).value)} {...described('filter.grade', 'err-filter-grade')}>
          <option value="">any event</option>
          {GRADE_FILTERS.map((g) => (
            <option value={g}>{g}</option>
          ))}
        </select>
        {errorFor('filter.grade', 'err-filter-grade')}
      </label>
      <label>
        Description
        <input name="subscription-description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} {...described('description', 'err-description')} />
        {errorFor('description', 'err-description')}
      </label>
      <button type="submit">Save filter</button>
      {general && (
        <p role="alert" class="error">
          {general}
        </p>
      )}
      {saved && (
        <p role="status" class="hint">
          Saved.
        </p>
      )}
    </form>
  );
}
