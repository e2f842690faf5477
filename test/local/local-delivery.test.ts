import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { eventually, startTestRuntime } from '../support/local-runtime';
import { startReceiver, type Receiver } from '../support/receiver';

describe('delivery inside the local runtime', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  let receiver: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-delivery-'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await runtime?.close();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (now?: () => Date) =>
    (await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' }, ...(now ? { now } : {}) })).runtime;

  async function subscribe(rt: LocalRuntime, body: unknown): Promise<{ id: string; secret?: string }> {
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const response = await fetch(`${rt.apiUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as { id: string; secret?: string };
  }

  it('POSTs signed webhooks and writes emails to mail.log', async () => {
    runtime = await start();
    await runtime.pollOnce();
    const { secret } = await subscribe(runtime, { channel: 'webhook', url: `${receiver.url}/hook` });
    await subscribe(runtime, { channel: 'email', address: 'oncall@corp.example' });

    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();

    const request = await eventually(() => receiver.received[0]);
    const verified = new Webhook(secret ?? '').verify(request.body, request.headers as Record<string, string>) as { subject: string };
    expect(verified.subject).toBe('datasets/ds_demo_1');
    const mail = await readFile(join(dataDir, 'mail.log'), 'utf8');
    expect(mail).toContain('To: oncall@corp.example');
    expect(mail).toContain('Subject: dataset ds_demo_1: pending → running');
  });

  it('disables a webhook that fails for 5 days, mails the team, shows why in the API, and resumes on PATCH {"paused": false}', async () => {
    let clock = Date.parse('2026-11-24T09:00:00Z');
    runtime = await start(() => new Date(clock));
    await runtime.pollOnce();
    const { id } = await subscribe(runtime, { channel: 'webhook', url: `${receiver.url}/hook` });
    await subscribe(runtime, { channel: 'email', address: 'oncall@corp.example' });
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const view = async () =>
      (await (await fetch(`${runtime!.apiUrl}/v1/subscriptions/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    // Retries run on their own loop: every request fails until the receiver is fixed.
    receiver.answerFromNowOn({ status: 500 });

    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    await eventually(() => receiver.received[0]);
    clock += 5 * 86_400_000;
    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    const disabled = await eventually(async () => ((await view()).status === 'disabled' ? view() : undefined));
    const mail = await eventually(async () => {
      const text = await readFile(join(dataDir, 'mail.log'), 'utf8');
      return text.includes('Watchpost stopped delivering') ? text : undefined;
    });
    receiver.answerFromNowOn({ status: 204 });
    const sentWhileFailing = receiver.received.length;
    const resumed = await fetch(`${runtime.apiUrl}/v1/subscriptions/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ paused: false }),
    });
    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    await eventually(() => receiver.received[sentWhileFailing]);

    expect(disabled).toMatchObject({ status: 'disabled', disabledReason: 'failing', failingSince: '2026-11-24T09:00:00.000Z' });
    expect(mail).toContain(`Subject: Watchpost stopped delivering to webhook subscription ${id} (${new URL(receiver.url).host})`);
    expect(mail).toContain('To: oncall@corp.example');
    expect(((await resumed.json()) as { status: string }).status).toBe('active');
    expect(await view()).toMatchObject({ status: 'active', failingSince: null, disabledAt: null });
  });

  it('answers a test of an email subscription with the mail written and no borrowed status code', async () => {
    runtime = await start();
    const { id } = await subscribe(runtime, { channel: 'email', address: 'oncall@corp.example' });
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();

    const response = await fetch(`${runtime.apiUrl}/v1/subscriptions/${id}/test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { ok: boolean; statusCode: number | null };

    expect(response.status).toBe(200);
    expect(body).toMatchObject({ ok: true, statusCode: null });
    expect(await readFile(join(dataDir, 'mail.log'), 'utf8')).toContain('To: oncall@corp.example');
  });

  it('delivers only what an outcome filter asks for: finished runs whose grade got worse', async () => {
    runtime = await start();
    await runtime.pollOnce();
    const { secret } = await subscribe(runtime, {
      channel: 'webhook',
      url: `${receiver.url}/hook`,
      filter: { statuses: ['succeeded', 'failed'], eventTypes: ['resource.changed'], grade: 'worsened' },
    });
    const setGrade = (status: string, grade: string) =>
      runtime!.simulator!.putDataset('ds_demo_1', {
        status,
        evaluation_summary: { grade_before: 'D', grade_after: grade, score_before: 0.5, score_after: 0.6, improvement_percent: 20 },
      });

    setGrade('succeeded', 'B'); // an outcome, but the grade only appears: not "worsened"
    await runtime.pollOnce();
    setGrade('running', 'D'); // worse, but not an outcome
    await runtime.pollOnce();
    setGrade('succeeded', 'A'); // an outcome, but better
    await runtime.pollOnce();
    setGrade('succeeded', 'C'); // an outcome, and worse: the one to deliver
    await runtime.pollOnce();

    const request = await eventually(() => receiver.received[0]);
    // Closing waits for every delivery in flight: nothing else can arrive after this.
    await runtime.close();
    runtime = undefined;
    expect(receiver.received).toHaveLength(1);
    const delivered = new Webhook(secret ?? '').verify(request.body, request.headers as Record<string, string>) as { data: { changes: unknown[] } };
    expect(delivered.data.changes).toEqual([{ field: 'grade', from: 'A', to: 'C' }]);
  });

  it('follows PATCH: a new filter takes effect on the next event, a pause delivers nothing, a resume delivers new events only', async () => {
    runtime = await start();
    await runtime.pollOnce();
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const { id } = await subscribe(runtime, { channel: 'webhook', url: `${receiver.url}/hook`, filter: { statuses: ['failed'] } });
    const patch = (body: unknown) =>
      fetch(`${runtime!.apiUrl}/v1/subscriptions/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const step = async (status: string) => {
      runtime!.simulator!.putDataset('ds_demo_1', { status });
      await runtime!.pollOnce();
    };

    await step('running'); // filtered out: not failed
    expect((await patch({ filter: { statuses: ['running', 'succeeded'] } })).status).toBe(200);
    await step('succeeded'); // delivered: the new filter
    await eventually(() => receiver.received[0]);
    expect((await patch({ paused: true })).status).toBe(200);
    await step('running'); // paused: nothing, and nothing kept
    expect((await patch({ paused: false })).status).toBe(200);
    await step('succeeded'); // delivered
    await eventually(() => receiver.received[1]);
    await runtime.close();
    runtime = undefined;

    const delivered = receiver.received.map((request) => (JSON.parse(request.body) as { data: { changes: Array<{ from: string; to: string }> } }).data.changes[0]);
    expect(delivered).toEqual([
      { field: 'status', from: 'running', to: 'succeeded' },
      { field: 'status', from: 'running', to: 'succeeded' },
    ]);
  });

  it('rotates a webhook secret: both secrets verify during the grace period, only the new one after; the new one is shown once and never logged', async () => {
    let clock = Date.parse('2026-11-24T09:00:00Z');
    const now = () => new Date(clock);
    const started = await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' }, now });
    runtime = started.runtime;
    await runtime.pollOnce();
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const { id, secret: oldSecret } = await subscribe(runtime, { channel: 'webhook', url: `${receiver.url}/hook` });
    const rotation = await fetch(`${runtime.apiUrl}/v1/subscriptions/${id}/rotate-secret`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ graceSeconds: 3600 }),
    });
    const rotationText = await rotation.text();
    const { secret: newSecret, previousSecretExpiresAt } = JSON.parse(rotationText) as { secret: string; previousSecretExpiresAt: string };
    const view = await (await fetch(`${runtime.apiUrl}/v1/subscriptions/${id}`, { headers: { authorization: `Bearer ${token}` } })).text();
    // Verified as a receiver whose clock agrees with the sender's (the injected one).
    const verifies = (secret: string | undefined, index: number) => {
      const request = receiver.received[index]!;
      const receiverClock = vi.spyOn(Date, 'now').mockReturnValue(Number(request.headers['webhook-timestamp']) * 1000);
      try {
        new Webhook(secret ?? '').verify(request.body, request.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      } finally {
        receiverClock.mockRestore();
      }
    };

    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    await eventually(() => receiver.received[0]);
    clock += 2 * 3600_000; // past the grace period
    runtime.simulator?.putDataset('ds_demo_1', { status: 'failed' });
    await runtime.pollOnce();
    await eventually(() => receiver.received[1]);

    expect(rotation.status).toBe(200);
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(previousSecretExpiresAt).toBe('2026-11-24T10:00:00.000Z');
    expect(String(receiver.received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([verifies(oldSecret, 0), verifies(newSecret, 0)]).toEqual([true, true]);
    expect(String(receiver.received[1]!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect([verifies(oldSecret, 1), verifies(newSecret, 1)]).toEqual([false, true]);
    expect(view).not.toContain(newSecret);
    const logged = JSON.stringify(started.logger?.entries ?? []) + (await readFile(join(dataDir, 'events.jsonl'), 'utf8'));
    expect(logged).not.toContain(newSecret.slice(6));
  });

  it('keeps retrying a failed webhook after a restart', async () => {
    runtime = await start();
    await runtime.pollOnce();
    await subscribe(runtime, { channel: 'webhook', url: `${receiver.url}/hook` });
    receiver.answer({ status: 503 });
    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();
    await eventually(() => receiver.received[0]);
    await runtime.close();

    // Restarted a minute later: the stored retry is due and the receiver is back.
    runtime = await start(() => new Date(Date.now() + 60_000));

    const firstId = receiver.received[0]?.headers['webhook-id'];
    const retried = await eventually(() => receiver.received.slice(1).find((r) => r.headers['webhook-id'] === firstId));
    expect(retried.body).toBe(receiver.received[0]?.body);
  });
});

describe('local delivery runs beside the poller, a lane per subscription', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  let hanging: Receiver;
  let healthy: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-lanes-'));
    hanging = await startReceiver({ status: 200, delayMs: 10_000 });
    healthy = await startReceiver();
  });
  afterEach(async () => {
    await hanging.close();
    await runtime?.close();
    await healthy.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function call(rt: LocalRuntime, token: string, method: string, path: string, body?: unknown) {
    const response = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await response.json()) as { id: string; token: string };
  }

  it('delivers team Y’s event within a second while team X’s webhook hangs, and the tick does not wait for either', async () => {
    runtime = (await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1', WATCHPOST_DELIVERY_TIMEOUT_MS: '12000' } })).runtime;
    const admin = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const tokens: Record<string, string> = {};
    for (const team of ['team-x', 'team-y']) {
      tokens[team] = (await call(runtime, admin, 'POST', '/v1/admin/teams', { name: team })).token;
      await call(runtime, tokens[team]!, 'POST', '/v1/watches', { resource: { type: 'dataset', datasetId: 'ds_demo_1' } });
    }
    await call(runtime, tokens['team-x']!, 'POST', '/v1/subscriptions', { channel: 'webhook', url: `${hanging.url}/x` });
    await call(runtime, tokens['team-y']!, 'POST', '/v1/subscriptions', { channel: 'webhook', url: `${healthy.url}/y` });
    await runtime.pollOnce();
    runtime.simulator?.advance('datasets/ds_demo_1');
    const started = Date.now();

    await runtime.pollOnce();
    const tickMs = Date.now() - started;
    await eventually(() => healthy.received[0], 1_000);

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(tickMs).toBeLessThan(500);
    expect(hanging.received).toHaveLength(1);
  });

  it('sends one POST per attempt to a receiver slower than the retry sweep', async () => {
    runtime = (await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' } })).runtime;
    await runtime.pollOnce();
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    // 2.5 s: more than two sweeps of the one-second retry loop.
    healthy.answer({ status: 200, delayMs: 2_500 });
    await call(runtime, token, 'POST', '/v1/subscriptions', { channel: 'webhook', url: `${healthy.url}/slow` });
    runtime.simulator?.advance('datasets/ds_demo_1');

    await runtime.pollOnce();
    await new Promise((resolve) => setTimeout(resolve, 3_500));

    expect(healthy.received).toHaveLength(1);
    const subscription = await eventually(async () => (await runtime!.api.subscriptions.all('demo'))[0]);
    expect(subscription.deliveredCount).toBe(1);
  });
});
