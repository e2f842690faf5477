import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { eventually, startTestRuntime } from '../support/local-runtime';
import { startReceiver, type Receiver } from '../support/receiver';

/**
 * End to end through the `npm start` runtime: the poll sees the simulated
 * dataset move, and a Teams-shaped and a Discord-shaped receiver on
 * 127.0.0.1 (admitted by WATCHPOST_ALLOW_PRIVATE_WEBHOOKS=1) get the bodies
 * those services take; a digest subscription gets one message when its period ends.
 */
describe('Teams and Discord through the local runtime', () => {
  let dataDir: string;
  let runtime: LocalRuntime | undefined;
  let teams: Receiver;
  let discord: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'watchpost-chat-'));
    // A Workflows trigger answers 202, Discord's execute-webhook 204.
    [teams, discord] = await Promise.all([startReceiver({ status: 202 }), startReceiver({ status: 204 })]);
  });
  afterEach(async () => {
    await runtime?.close();
    await Promise.all([teams.close(), discord.close()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function subscribe(rt: LocalRuntime, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const token = (await readFile(join(dataDir, 'demo-team-token'), 'utf8')).trim();
    const response = await fetch(`${rt.apiUrl}/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('posts an Adaptive Card to the Teams-shaped receiver and an embed to the Discord-shaped one', async () => {
    runtime = (await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' } })).runtime;
    await runtime.pollOnce();
    const created = await Promise.all([
      subscribe(runtime, { channel: 'teams', url: `${teams.url}/workflows/abc/triggers/manual/paths/invoke?sig=s` }),
      subscribe(runtime, { channel: 'discord', url: `${discord.url}/api/webhooks/123456789012/token` }),
    ]);
    expect(created.map((c) => c.status)).toEqual([201, 201]);

    runtime.simulator?.advance('datasets/ds_demo_1');
    await runtime.pollOnce();

    const card = JSON.parse((await eventually(() => teams.received[0])).body);
    expect(card.type).toBe('message');
    expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.5', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    expect(card.attachments[0].content.fallbackText).toContain('dataset ds_demo_1: pending → running');
    const message = JSON.parse((await eventually(() => discord.received[0])).body);
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.embeds).toHaveLength(1);
    expect(message.embeds[0].title).toContain('dataset ds_demo_1: pending → running');
    expect(message.embeds[0].fields[0]).toEqual({ name: 'Resource', value: 'datasets/ds_demo_1', inline: true });
  });

  it('sends a Discord digest subscription one message when its period ends', async () => {
    let clock = Date.parse('2026-11-24T09:00:10Z');
    runtime = (await startTestRuntime({ dataDir, env: { WATCHPOST_ALLOW_PRIVATE_WEBHOOKS: '1' }, now: () => new Date(clock) })).runtime;
    await runtime.pollOnce();
    await subscribe(runtime, { channel: 'discord', url: `${discord.url}/api/webhooks/1/t`, digest: { everyMinutes: 1 } });

    // Two watches move in one period: one digest, an embed per watch.
    runtime.simulator?.advance('datasets/ds_demo_1');
    runtime.simulator?.advance('projects/1/corrections/1');
    await runtime.pollOnce();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(discord.received).toEqual([]);
    clock = Date.parse('2026-11-24T09:01:00Z');

    const message = JSON.parse((await eventually(() => discord.received[0], 10_000)).body);
    expect(message.content).toBe('**Watchpost digest: 2 events**');
    expect(message.embeds.map((embed: { title: string }) => embed.title).sort()).toEqual(['Demo correction session (simulated) (projects/1/corrections/1)', 'Demo dataset (simulated) (datasets/ds_demo_1)']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(discord.received).toHaveLength(1);
  });
});
