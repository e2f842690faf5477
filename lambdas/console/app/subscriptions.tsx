import { useState } from 'preact/hooks';
import { deliveryTarget } from '../../domain/delivery-target';
import { attentionRank } from '../../domain/health';
import { api, ApiError } from './api';
import { HealthBadge } from './health';
import { useTitle } from './page';
import { StaleBanner, usePolled } from './polled';
import { Time } from './time';
import type { Page, SubscriptionView } from './types';

/** One request per refresh: the list carries each subscription's health and 24 h figures. */
const subscriptionsList = () => api<Page<SubscriptionView>>('GET', '/v1/subscriptions?limit=100');

export const percentOf = (rate: number | null) => (rate === null ? '–' : `${Math.floor(rate * 100)}%`);

/** "p50 ≤ 25 ms · p95 ≤ 250 ms", from the histogram's bin edges. */
export function latencyText(latency: SubscriptionView['last24h']['latencyMs']): string {
  if (latency.timed === 0) return 'no timed attempt';
  const edge = (ms: number | null) => (ms === null ? '> 30 s' : ms >= 1_000 ? `≤ ${ms / 1_000} s` : `≤ ${ms} ms`);
  return `p50 ${edge(latency.p50)} · p95 ${edge(latency.p95)}`;
}

export function subscriptionName(s: Pick<SubscriptionView, 'channel' | 'address' | 'url' | 'description'>): string {
  return `${s.channel} · ${s.description || deliveryTarget(s)}`;
}

/** "1 endpoint failing · 1 at 0% · 2 paused": what needs a person, counted. */
export function subscriptionSummary(items: SubscriptionView[]): string[] {
  const count = (state: string) => items.filter((s) => s.health.state === state).length;
  const parts: string[] = [];
  const atZero = items.filter((s) => s.last24h.successRate === 0).length;
  if (count('failing') > 0) parts.push(`${count('failing')} ${count('failing') === 1 ? 'endpoint' : 'endpoints'} failing`);
  if (atZero > 0) parts.push(`${atZero} at 0%`);
  if (count('degraded') > 0) parts.push(`${count('degraded')} degraded`);
  if (count('disabled') > 0) parts.push(`${count('disabled')} disabled`);
  if (count('paused') > 0) parts.push(`${count('paused')} paused`);
  parts.push(`${count('healthy')} healthy`);
  return parts;
}

export function SubscriptionsPage() {
  useTitle('Subscriptions');
  const polled = usePolled(subscriptionsList, []);
  const items = [...(polled.data?.items ?? [])].sort((a, b) => attentionRank(a.health.attention) - attentionRank(b.health.attention) || b.createdAt.localeCompare(a.createdAt));
  const now = Date.now();
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1}>
        Subscriptions
      </h1>
      <StaleBanner polled={polled} />
      {polled.data && (
        <p class="summary" data-testid="summary">
          {subscriptionSummary(items).join(' · ')}
        </p>
      )}
      <AddSubscriptionForm onAdded={polled.reload} />
      {polled.data?.items.length === 0 && <p class="hint">No subscriptions yet: add a webhook, Slack or email above.</p>}
      {items.length > 0 && (
        <table class={`subscriptions stacked${polled.error ? ' stale' : ''}`}>
          <thead>
            <tr>
              <th scope="col">Subscription</th>
              <th scope="col">Health</th>
              <th scope="col">Delivered (24 h)</th>
              <th scope="col">Latency (24 h)</th>
              <th scope="col">Last success</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr data-subscription-id={s.id} data-state={s.health.state}>
                <td data-label="Subscription">
                  <a href={`#/subscriptions/${encodeURIComponent(s.id)}`}>{subscriptionName(s)}</a>
                  <div class="sub">{deliveryTarget(s)}</div>
                </td>
                <td data-label="Health">
                  <HealthBadge attention={s.health.attention} label={s.health.state} />
                  {s.health.reason && <div class="sub">{s.health.reason}</div>}
                  {s.failingSince && s.health.state !== 'paused' && (
                    <div class="sub">
                      failing since <Time iso={s.failingSince} now={now} />
                    </div>
                  )}
                </td>
                <td data-label="Delivered (24 h)">
                  {percentOf(s.last24h.successRate)}
                  <div class="sub">
                    {s.last24h.delivered} delivered, {s.last24h.failed} failed
                  </div>
                </td>
                <td data-label="Latency (24 h)">{latencyText(s.last24h.latencyMs)}</td>
                <td data-label="Last success">
                  <Time iso={s.lastSuccessAt} now={now} empty="never" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The secret of one subscription, shown once, saying whose it is. */
export function SecretPanel({ secret, owner, note }: { secret: string; owner: string; note: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        Signing secret for <strong>{owner}</strong>: {note}
      </p>
      <code id="new-secret">{secret}</code>{' '}
      <button
        type="button"
        aria-label={copied ? `Copied the secret for ${owner}` : `Copy the secret for ${owner}`}
        onClick={async () => {
          await navigator.clipboard.writeText(secret);
          setCopied(true);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function AddSubscriptionForm({ onAdded }: { onAdded: () => void }) {
  const [channel, setChannel] = useState<'webhook' | 'slack' | 'email'>('webhook');
  const [where, setWhere] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<SubscriptionView | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    setCreated(null);
    try {
      const made = await api<SubscriptionView>('POST', '/v1/subscriptions', {
        channel,
        ...(channel === 'email' ? { address: where } : { url: where }),
        ...(description.trim() ? { description } : {}),
      });
      // Shown this once: the API never returns it again.
      if (made.secret) setCreated(made);
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
          <input
            name="target"
            type={channel === 'email' ? 'email' : 'url'}
            required
            value={where}
            onInput={(e) => setWhere((e.target as HTMLInputElement).value)}
            aria-invalid={Boolean(fieldMessage)}
            aria-describedby={fieldMessage ? 'err-target' : undefined}
          />
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
      {created?.secret && <SecretPanel secret={created.secret} owner={`${subscriptionName(created)} (${created.id})`} note="shown this once. Store it with your receiver now." />}
    </>
  );
}
