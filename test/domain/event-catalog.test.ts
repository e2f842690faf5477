import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../lambdas/domain/events';
import { discordMessage } from '../../lambdas/domain/discord-message';
import { slackMessage } from '../../lambdas/domain/slack-message';
import { teamsMessage } from '../../lambdas/domain/teams-card';
import { EVENT_SCHEMAS, NOTICE_SCHEMAS } from '../../lambdas/domain/event-schema';

/**
 * The examples `GET /v1/event-types` shows, pinned value by value: they are
 * what a team reads to write its receiver, so a change to one is a change to
 * the documentation and should be made on purpose.
 *
 * The catalog is built when its module loads. It is imported inside the test,
 * not at the top of the file, so that the load happens while the test runs:
 * mutation testing activates a mutant only once a test file's own imports are
 * done (README, Mutation testing), and would otherwise never see a mutant of
 * these values caught. The schemas, by contrast, are imported at the top:
 * loaded before the test, their own mutants stay out of this test's reach
 * (they are the static mutants the mutation run ignores).
 */
const WATCH = { watchId: 'w_4f1c2a9e0b7d43a1c5e6f708', team: 'ml-platform', label: 'nightly eval', resource: { type: 'dataset', datasetId: 'ds_42' } };
const DETAILS = { name: 'Support tickets Q4', runId: 'run_ds_42_1', rowCount: 1200, updatedAt: '2026-11-24T09:29:41Z', errorMessage: null };
const RUNNING = { status: 'running', grade: null, score: null, progressPercent: 50, details: DETAILS };
const SUCCEEDED = { status: 'succeeded', grade: 'B', score: 0.81, progressPercent: null, details: DETAILS };

/** Each example at its own version, so each has its own id, as real events do. */
const envelope = (type: string, id: string, sequence: string, data: Record<string, unknown>) => ({
  specversion: '1.0',
  id,
  source: '/watchpost/watches/w_4f1c2a9e0b7d43a1c5e6f708',
  type,
  subject: 'datasets/ds_42',
  time: '2026-11-24T09:30:00.000Z',
  sequence,
  datacontenttype: 'application/json',
  data: { ...WATCH, ...data },
});

describe('the event catalog’s examples', () => {
  it('show a training run’s outcome beside the dataset example, accepted by the same schema', async () => {
    const { EVENT_CATALOG } = await import('../../lambdas/domain/event-catalog');
    const changed = EVENT_CATALOG.find((entry) => entry.type === 'io.watchpost.resource.changed');
    const [run] = changed?.moreExamples ?? [];

    expect(EVENT_CATALOG.filter((entry) => entry.moreExamples).map((entry) => entry.type)).toEqual(['io.watchpost.resource.changed']);
    expect(run).toMatchObject({
      subject: 'autoscientist/as_run_7f3a',
      sequence: '6',
      data: {
        resource: { type: 'autoscientist_run', runId: 'as_run_7f3a' },
        changes: [
          { field: 'status', from: 'running', to: 'succeeded' },
          { field: 'winRate', from: 0.74, to: 0.82 },
        ],
        current: { status: 'succeeded', score: 0.82, progressPercent: 100, details: { iterationsCompleted: 5, maxIterations: 5, targetWinRate: 0.8, downloadAvailable: true } },
      },
    });
    expect(EVENT_SCHEMAS['io.watchpost.resource.changed'].safeParse(run).success).toBe(true);
  });

  it('are pinned whole, one per type, with the name a subscription filter uses for it', async () => {
    const { EVENT_CATALOG } = await import('../../lambdas/domain/event-catalog');
    const byType = new Map(EVENT_CATALOG.map((entry) => [entry.type as string, entry]));
    const schemas: Record<string, { safeParse(value: unknown): { success: boolean } }> = { ...EVENT_SCHEMAS, ...NOTICE_SCHEMAS };

    expect(EVENT_CATALOG.map((entry) => [entry.type, entry.filterName])).toEqual([
      ['io.watchpost.resource.changed', 'resource.changed'],
      ['io.watchpost.resource.gone', 'resource.gone'],
      ['io.watchpost.resource.stalled', 'resource.stalled'],
      ['io.watchpost.resource.resumed', 'resource.resumed'],
      ['io.watchpost.watch.failing', 'watch.failing'],
      ['io.watchpost.watch.recovered', 'watch.recovered'],
      ['io.watchpost.subscription.test', null],
      ['io.watchpost.subscription.disabled', null],
    ]);
    expect(byType.get('io.watchpost.resource.changed')?.example).toEqual(
      envelope('io.watchpost.resource.changed', 'evt_464f6dba1a120ab2436578a79524b324', '7', {
        changes: [
          { field: 'status', from: 'running', to: 'succeeded' },
          { field: 'grade', from: null, to: 'B' },
        ],
        previous: RUNNING,
        current: SUCCEEDED,
      }),
    );
    expect(byType.get('io.watchpost.resource.gone')?.example).toEqual(envelope('io.watchpost.resource.gone', 'evt_a4df2da8d546db81fd9941a2c0ca2fb6', '8', { changes: [], previous: RUNNING, current: null }));
    const still = { ...RUNNING, movedAt: '2026-11-24T08:12:00.000Z' };
    expect(byType.get('io.watchpost.resource.stalled')?.example).toEqual(
      envelope('io.watchpost.resource.stalled', 'evt_a0fa7aefee08c59803e2f91eb40af044', '3', {
        changes: [],
        previous: still,
        current: { ...still, stalledSince: '2026-11-24T09:13:00.000Z' },
        stall: { thresholdMinutes: 60, lastMovedAt: '2026-11-24T08:12:00.000Z', minutesWithoutMotion: 61, lastProgressPercent: 50 },
      }),
    );
    expect(byType.get('io.watchpost.resource.resumed')?.example).toEqual(
      envelope('io.watchpost.resource.resumed', 'evt_223b770e218ce519e176299fbf9b5f86', '4', {
        changes: [],
        previous: { ...still, stalledSince: '2026-11-24T09:13:00.000Z' },
        current: { ...RUNNING, progressPercent: 75, movedAt: '2026-11-24T09:30:00.000Z' },
        stall: { thresholdMinutes: 60, lastMovedAt: '2026-11-24T08:12:00.000Z', minutesWithoutMotion: 78, lastProgressPercent: 50, resumedStatus: 'running' },
      }),
    );
    expect(byType.get('io.watchpost.watch.failing')?.example).toEqual(
      envelope('io.watchpost.watch.failing', 'evt_fde6b9c41f831e9b02fc1eff58403cdc', '5', {
        changes: [],
        previous: RUNNING,
        current: RUNNING,
        failure: { kind: 'unavailable', message: 'datasets/ds_42: upstream answered 503', consecutiveFailures: 5 },
      }),
    );
    expect(byType.get('io.watchpost.watch.recovered')?.example).toEqual(envelope('io.watchpost.watch.recovered', 'evt_812dc1eb4479cf7222c228b1385e1817', '6', { changes: [], previous: RUNNING, current: RUNNING }));
    expect(byType.get('io.watchpost.subscription.test')?.example).toEqual(envelope('io.watchpost.subscription.test', 'evt_test_5d41402abc4b2a76b9719d911017c592', '0', { changes: [], previous: null, current: RUNNING }));
    expect(byType.get('io.watchpost.subscription.disabled')?.example).toEqual({
      specversion: '1.0',
      id: 'evt_21a8191d7e9f784ebec28c05ab943698',
      source: '/watchpost/subscriptions/sub_9b1e4c7d2a',
      type: 'io.watchpost.subscription.disabled',
      subject: 'subscriptions/sub_9b1e4c7d2a',
      time: '2026-11-24T09:30:00.000Z',
      datacontenttype: 'application/json',
      data: {
        team: 'ml-platform',
        subscriptionId: 'sub_9b1e4c7d2a',
        channel: 'webhook',
        target: 'hooks.example.com',
        description: 'release pipeline',
        reason: 'failing',
        failingSince: '2026-11-19T09:30:00.000Z',
        disabledAt: '2026-11-24T09:30:00.000Z',
        lastError: 'receiver answered 503',
      },
    });
    // No two examples share an id: a receiver reading them learns that ids name transitions.
    expect(new Set(EVENT_CATALOG.map((entry) => entry.example.id)).size).toBe(EVENT_CATALOG.length);
    // And each is what deliveries of its type are checked against.
    for (const entry of EVENT_CATALOG) expect(schemas[entry.type]?.safeParse(entry.example).success, entry.type).toBe(true);
  });
});

describe('the catalog’s rendering examples', () => {
  it('shows what Slack, Teams and Discord get for every event type, rendered by the delivery code', async () => {
    const { EVENT_CATALOG } = await import('../../lambdas/domain/event-catalog');
    const links = { dataset: 'https://app.example.com/datasets/{datasetId}', correction_session: 'https://app.example.com/projects/{projectId}/corrections/{correctionId}' };
    for (const entry of EVENT_CATALOG.filter((candidate) => candidate.type !== 'io.watchpost.subscription.disabled')) {
      const event = entry.example as WatchEvent;
      expect(entry.renderings).toEqual({ slack: slackMessage(event, links), teams: teamsMessage(event, links), discord: discordMessage(event, links) });
    }
    const changed = EVENT_CATALOG.find((entry) => entry.type === 'io.watchpost.resource.changed');
    expect((changed?.renderings?.teams as { attachments: Array<{ content: { version: string } }> }).attachments[0]?.content.version).toBe('1.5');
    expect((changed?.renderings?.discord as { embeds: Array<{ url: string }> }).embeds[0]?.url).toBe('https://app.example.com/datasets/ds_42');
  });

  it('has none for notices, which go to email only', async () => {
    const { EVENT_CATALOG } = await import('../../lambdas/domain/event-catalog');
    expect(EVENT_CATALOG.find((entry) => entry.type === 'io.watchpost.subscription.disabled')?.renderings).toBeNull();
  });
});
