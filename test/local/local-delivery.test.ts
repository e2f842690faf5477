import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
