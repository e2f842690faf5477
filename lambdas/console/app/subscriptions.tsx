import { useState } from 'preact/hooks';
import { deliveryTarget } from '../../domain/delivery-target';
import { api, ApiError } from './api';
import { when, type Page, type SubscriptionView } from './types';
import { usePolled } from './watches';

const DAY_MS = 86_400_000;

async function subscriptionsWithHealth(): Promise<SubscriptionView[]> {
  const page = await api<Page<SubscriptionView>>('GET', '/v1/subscriptions?limit=100');
  // The list has no delivery figures; a team has a few dozen subscriptions at most.
  return Promise.all(page.items.map((s) => api<SubscriptionView>('GET', `/v1/subscriptions/${encodeURIComponent(s.id)}`)));
}

function state(s: SubscriptionView): string {
  if (s.status === 'disabled') return s.disabledReason === 'gone' ? 'disabled (receiver said 410 Gone)' : 'disabled (failing)';
  if (s.status === 'pending_confirmation') return 'pending confirmation';
  return s.paused ? 'paused' : 'active';
}

export function SubscriptionsPage() {
  const { data, error, reload } = usePolled(subscriptionsWithHealth, []);
  return (
    <section aria-labelledby="subs-title">
      <h1 id="subs-title">Subscriptions</h1>
      <AddSubscriptionForm onAdded={reload} />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {data?.length === 0 && <p class="hint">No subscriptions yet: add a webhook, Slack or email above.</p>}
      <ul class="cards">
        {data?.map((s) => (
          <SubscriptionCard key={s.id} subscription={s} onChanged={reload} />
        ))}
      </ul>
    </section>
  );
}

function SubscriptionCard({ subscription: s, onChanged }: { subscription: SubscriptionView; onChanged: () => void }) {
  const [message, setMessage] = useState<string | null>(null);
  const run = async (what: string, call: () => Promise<{ ok?: boolean; statusCode?: number | null; error?: string | null } | undefined>) => {
    setMessage(null);
    try {
      const outcome = await call();
      setMessage(outcome && outcome.ok === false ? `${what} failed: ${outcome.error ?? `answer ${outcome.statusCode}`}` : `${what}: done${outcome?.statusCode ? ` (${outcome.statusCode})` : ''}`);
    } catch (error) {
      setMessage(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    onChanged();
  };
  const attempts = s.delivery?.recentAttempts ?? [];
  // Skipped attempts (paused) sent nothing: they count neither way.
  const lastDay = attempts.filter((a) => Date.now() - Date.parse(a.at) < DAY_MS && a.result !== 'skipped');
  const ok = lastDay.filter((a) => a.result === 'delivered').length;
  const base = `/v1/subscriptions/${encodeURIComponent(s.id)}`;
  return (
    <li class="card" data-subscription-id={s.id}>
      <h2>
        {s.channel} · {deliveryTarget(s)}
      </h2>
      {s.description && <p>{s.description}</p>}
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <span class={`badge ${s.status === 'disabled' ? 'bad' : s.paused || s.status !== 'active' ? 'idle' : 'ok'}`}>{state(s)}</span>
        </dd>
        <dt>Filter</dt>
        <dd>
          <code>{s.filter ? JSON.stringify(s.filter) : 'every event of the team'}</code>
        </dd>
        <dt>Last 24 h</dt>
        <dd>{lastDay.length === 0 ? 'no attempts' : `${Math.round((ok / lastDay.length) * 100)}% delivered (${ok} of ${lastDay.length} recent attempts)`}</dd>
        <dt>Next retry</dt>
        <dd>{s.paused ? 'none while paused' : s.delivery?.nextRetryAt ? when(s.delivery.nextRetryAt) : 'none waiting'}</dd>
        {s.failingSince && (
          <>
            <dt>Failing since</dt>
            <dd>{when(s.failingSince)}</dd>
          </>
        )}
      </dl>
      <div class="actions">
        {s.channel !== 'email' && (
          <button type="button" onClick={() => run('Test', () => api('POST', `${base}/test`))}>
            Send test
          </button>
        )}
        <button type="button" onClick={() => run(s.paused || s.status === 'disabled' ? 'Resume' : 'Pause', () => api('PATCH', base, { paused: !(s.paused || s.status === 'disabled') }))}>
          {s.paused || s.status === 'disabled' ? 'Resume' : 'Pause'}
        </button>
      </div>
      {message && (
        <p role="status" class="hint">
          {message}
        </p>
      )}
      {attempts.length > 0 && (
        <table class="attempts">
          <caption>Last attempts</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Answer</th>
              <th scope="col">Error</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {attempts.slice(0, 10).map((a) => {
              const failed = a.result === 'failed';
              return (
                <tr class={failed ? 'failed' : a.result === 'skipped' ? 'skipped' : ''}>
                  <td>{when(a.at)}</td>
                  <td>
                    <code>{a.eventId}</code> #{a.attempt}
                  </td>
                  <td>{a.statusCode ?? '–'}</td>
                  <td>{a.result === 'skipped' ? `skipped: ${a.error ?? ''}` : (a.error ?? '')}</td>
                  <td>
                    {failed && !a.eventId.startsWith('evt_test_') && (
                      <button type="button" onClick={() => run('Redeliver', () => api('POST', `${base}/redeliver`, { eventId: a.eventId }))}>
                        Retry
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </li>
  );
}

function AddSubscriptionForm({ onAdded }: { onAdded: () => void }) {
  const [channel, setChannel] = useState<'webhook' | 'slack' | 'email'>('webhook');
  const [where, setWhere] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setSecret(null);
    setCopied(false);
    try {
      const created = await api<SubscriptionView>('POST', '/v1/subscriptions', {
        channel,
        ...(channel === 'email' ? { address: where } : { url: where }),
        ...(description.trim() ? { description } : {}),
      });
      // Shown this once: the API never returns it again.
      if (created.secret) setSecret(created.secret);
      setWhere('');
      setDescription('');
      onAdded();
    } catch (error) {
      setProblem(error instanceof ApiError ? error : new ApiError(0, String(error), undefined, []));
    }
  };
  const field = channel === 'email' ? 'address' : 'url';
  const fieldMessage = problem?.forField(field);
  return (
    <>
      <form class="add" onSubmit={submit} aria-label="Add a subscription">
        <label>
          Channel{' '}
          <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value as typeof channel)}>
            <option value="webhook">Webhook</option>
            <option value="slack">Slack</option>
            <option value="email">Email</option>
          </select>
        </label>
        <label>
          {channel === 'email' ? 'Address' : 'URL'}{' '}
          <input name="target" type={channel === 'email' ? 'email' : 'url'} required value={where} onInput={(e) => setWhere((e.target as HTMLInputElement).value)} aria-invalid={Boolean(fieldMessage)} aria-describedby="err-target" />
          {fieldMessage && (
            <span id="err-target" class="error field-error">
              {fieldMessage}
            </span>
          )}
        </label>
        <label>
          Description <input name="description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Add subscription</button>
        {problem && !fieldMessage && (
          <p role="alert" class="error">
            {problem.fields[0] ? `${problem.fields[0].path}: ${problem.fields[0].message}` : problem.message}
          </p>
        )}
      </form>
      {secret && (
        <div class="secret" role="status">
          <p>Signing secret: shown this once. Store it with your receiver now.</p>
          <code id="new-secret">{secret}</code>{' '}
          <button
            type="button"
            onClick={async () => {
              await navigator.clipboard.writeText(secret);
              setCopied(true);
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
    </>
  );
}
