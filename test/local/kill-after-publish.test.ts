import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../lambdas/domain/events';
import { eventually, startTestRuntime } from '../support/local-runtime';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * Issue #22, mechanism 3: an event in events.jsonl never POSTed, because
 * local delivery was started without being awaited while the outbox was
 * cleared, and a kill in that gap lost it. Here `npm start` runs as its own
 * process and SIGKILLs itself the moment the event's outbox entry is cleared,
 * with the delivery records written late (so the gap, if there were one,
 * would be wide); the restart must still deliver it.
 */
describe('a kill between publishing and clearing the outbox', () => {
  let dataDir: string;
  let receiver: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-kill-'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const env = { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' };

  function startThenKillAfterOutboxClear(): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/start-with-kill.ts'], {
      env: {
        ...process.env,
        ...env,
        WATCHPOST_DATA_DIR: dataDir,
        WATCHPOST_PORT: '0',
        WATCHPOST_SIMULATOR_PORT: '0',
        WATCHPOST_SIMULATOR_STEP_SECONDS: '0',
        WATCHPOST_POLL_INTERVAL_SECONDS: '3600',
        WATCHPOST_TEST_KILL_AFTER_OUTBOX_CLEAR: '1',
        WATCHPOST_TEST_SLOW_DELIVERY_RECORDS_MS: '400',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.once('exit', (_code, signal) => resolve({ signal, stdout, stderr })));
  }

  it('loses no delivery: the restarted runtime POSTs the event, under its id, signed', async () => {
    // A subscribed team and a baseline, then a change the next start will poll.
    const first = await startTestRuntime({ dataDir, env });
    await first.runtime.pollOnce();
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const created = await fetch(`${first.runtime.apiUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'webhook', url: `${receiver.url}/hook` }),
    });
    const { secret } = (await created.json()) as { secret: string };
    first.runtime.simulator?.advance('datasets/ds_demo_1');
    await first.runtime.close();

    const killed = await startThenKillAfterOutboxClear();

    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(killed.stdout).toMatch(/killed after clearing the outbox of w_/);
    const published = (await readFile(join(dataDir, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as WatchEvent);
    const change = published.find((event) => event.subject === 'datasets/ds_demo_1' && event.data.changes.length > 0);
    expect(change?.data.changes).toEqual([{ field: 'status', from: 'pending', to: 'running' }]);

    const restarted = await startTestRuntime({ dataDir, env });
    try {
      const delivered = await eventually(() => receiver.received.find((request) => request.headers['webhook-id'] === change?.id), 15_000);
      const verified = new Webhook(secret).verify(delivered.body, delivered.headers as Record<string, string>) as WatchEvent;
      expect(verified).toMatchObject({ id: change?.id, subject: 'datasets/ds_demo_1' });
      // Its outbox was cleared before the kill: nothing is published again after the restart.
      await restarted.runtime.pollOnce();
      const after = (await readFile(join(dataDir, 'events.jsonl'), 'utf8')).split('\n').filter((line) => line.includes(change!.id));
      expect(after).toHaveLength(1);
    } finally {
      await restarted.runtime.close();
    }
  }, 60_000);
});
