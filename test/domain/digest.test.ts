import { describe, expect, it } from 'vitest';
import { discordDigest } from '../../lambdas/domain/discord-message';
import { cloudEventsBatch, digestId, digestOrder, digestRelease, digestSummary, periodEnd } from '../../lambdas/domain/digest';
import type { WatchEvent } from '../../lambdas/domain/events';
import { slackDigest } from '../../lambdas/domain/slack-message';
import { teamsDigest } from '../../lambdas/domain/teams-card';
import { AT, EVENTS_BY_TYPE } from '../support/event-types';

const at = (iso: string) => new Date(iso);
function event(watchId: string, sequence: number, minute: number, label: string | null = null): WatchEvent {
  const base = EVENTS_BY_TYPE.changed;
  return { ...base, id: `evt_${watchId}_${sequence}`, sequence: String(sequence), time: new Date(AT.getTime() + minute * 60_000).toISOString(), data: { ...base.data, watchId, label } };
}

describe('periods', () => {
  it('end on the clock’s multiples of the period, the start inside, the end outside', () => {
    const quarter = { everyMinutes: 15 };

    expect(periodEnd(quarter, at('2026-11-24T10:00:00.000Z')).toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(periodEnd(quarter, at('2026-11-24T10:14:59.999Z')).toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(periodEnd(quarter, at('2026-11-24T10:15:00.000Z')).toISOString()).toBe('2026-11-24T10:30:00.000Z');
    expect(periodEnd({ everyMinutes: 1_440 }, at('2026-11-24T23:59:00Z')).toISOString()).toBe('2026-11-25T00:00:00.000Z');
  });

  it('a digest subscription releases at the period’s end, or in quiet hours at the window’s end; the test event never waits', () => {
    const quiet = { timeZone: 'UTC', from: '20:00', to: '06:00' };

    expect(digestRelease({ digest: { everyMinutes: 15 } }, EVENTS_BY_TYPE.changed, at('2026-11-24T10:03:00Z'))?.toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(digestRelease({ digest: { everyMinutes: 15 }, quietHours: quiet }, EVENTS_BY_TYPE.changed, at('2026-11-24T23:03:00Z'))?.toISOString()).toBe('2026-11-25T06:00:00.000Z');
    expect(digestRelease({ digest: { everyMinutes: 15 }, quietHours: quiet }, EVENTS_BY_TYPE.changed, at('2026-11-24T10:03:00Z'))?.toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(digestRelease({ digest: { everyMinutes: 15 } }, EVENTS_BY_TYPE.test, at('2026-11-24T10:03:00Z'))).toBeUndefined();
    expect(digestRelease({ digest: null }, EVENTS_BY_TYPE.changed, at('2026-11-24T10:03:00Z'))).toBeUndefined();
  });
});

describe('digest ids and order', () => {
  it('derives the id from the subscription and the events, whatever their order', () => {
    const id = digestId('sub_1', ['evt_b', 'evt_a']);

    expect(id).toMatch(/^dig_[0-9a-f]{32}$/);
    expect(digestId('sub_1', ['evt_a', 'evt_b'])).toBe(id);
    expect(digestId('sub_2', ['evt_a', 'evt_b'])).not.toBe(id);
    expect(digestId('sub_1', ['evt_a'])).not.toBe(id);
  });

  it('groups by watch in the order the watches first spoke, each oldest first', () => {
    const events = [event('w_2', 5, 2), event('w_1', 3, 1), event('w_2', 4, 0), event('w_1', 6, 3)];

    expect(digestOrder(events).map((group) => group.map((e) => e.id))).toEqual([
      ['evt_w_2_4', 'evt_w_2_5'],
      ['evt_w_1_3', 'evt_w_1_6'],
    ]);
    expect(cloudEventsBatch(events).map((e) => e.id)).toEqual(['evt_w_2_4', 'evt_w_2_5', 'evt_w_1_3', 'evt_w_1_6']);
  });

  it('lists up to the limit, leaving out the oldest, so each watch keeps its newest state', () => {
    const events = Array.from({ length: 25 }, (_, i) => event(`w_${i % 2}`, i, i));

    const summary = digestSummary(events, at('2026-11-24T10:30:00Z'), 20);

    expect(summary.more).toBe(5);
    expect(summary.groups.flatMap((g) => g.events).length).toBe(20);
    expect(summary.groups.map((g) => g.events.at(-1)?.id)).toEqual(['evt_w_0_24', 'evt_w_1_23']);
    expect(summary.title).toBe('Watchpost digest: 25 events');
    expect(digestSummary([event('w_1', 1, 0)], at('2026-11-24T10:30:00Z')).title).toBe('Watchpost digest: 1 event');
  });
});

describe('digest messages, whole payloads', () => {
  const events = [event('w_1', 1, 0, 'nightly eval'), event('w_2', 2, 1), event('w_1', 3, 2, 'nightly eval')];
  const release = at('2026-11-24T10:15:00Z');
  const line = 'dataset ds_42: running → succeeded (grade none → B)';

  it('Slack: a section per watch, a line per event, the context', () => {
    expect(slackDigest(events, release)).toEqual({
      text: 'Watchpost digest: 3 events',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: '*Watchpost digest: 3 events*' } },
        { type: 'section', text: { type: 'mrkdwn', text: `*nightly eval (datasets/ds_42)*\n• \`10:00\` ${line}\n• \`10:02\` ${line}` } },
        { type: 'section', text: { type: 'mrkdwn', text: `*datasets/ds_42*\n• \`10:01\` ${line}` } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'team team-a · until 2026-11-24T10:15:00.000Z' }] },
      ],
    });
  });

  it('Teams: one Adaptive Card 1.5 with a fact set per watch', () => {
    expect(teamsDigest(events, release)).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.5',
            fallbackText: 'Watchpost digest: 3 events',
            msteams: { width: 'Full' },
            body: [
              { type: 'TextBlock', text: 'Watchpost digest: 3 events', weight: 'Bolder', size: 'Medium', wrap: true },
              { type: 'TextBlock', text: 'nightly eval (datasets/ds_42)', weight: 'Bolder', color: 'Good', wrap: true, spacing: 'Medium' },
              { type: 'FactSet', facts: [{ title: '10:00', value: line }, { title: '10:02', value: line }] },
              { type: 'TextBlock', text: 'datasets/ds_42', weight: 'Bolder', color: 'Good', wrap: true, spacing: 'Medium' },
              { type: 'FactSet', facts: [{ title: '10:01', value: line }] },
              { type: 'TextBlock', text: 'team team-a · until 2026-11-24T10:15:00.000Z', isSubtle: true, size: 'Small', wrap: true },
            ],
          },
        },
      ],
    });
  });

  it('Discord: the count as content, an embed per watch', () => {
    expect(discordDigest(events, release)).toEqual({
      content: '**Watchpost digest: 3 events**',
      embeds: [
        { title: 'nightly eval (datasets/ds_42)', description: `\`10:00\` ${line}\n\`10:02\` ${line}`, color: 0x2eb67d, fields: [], footer: { text: 'team team-a · until 2026-11-24T10:15:00.000Z' }, timestamp: '2026-11-24T10:02:00.000Z' },
        { title: 'datasets/ds_42', description: `\`10:01\` ${line}`, color: 0x2eb67d, fields: [], footer: { text: 'team team-a · until 2026-11-24T10:15:00.000Z' }, timestamp: '2026-11-24T10:01:00.000Z' },
      ],
      allowed_mentions: { parse: [] },
    });
  });

  it('Discord: past 10 watches, the rest are counted in the content', () => {
    const many = Array.from({ length: 12 }, (_, i) => event(`w_${i}`, i, i));

    const message = discordDigest(many, release);

    expect(message.embeds).toHaveLength(10);
    expect(message.content).toBe('**Watchpost digest: 12 events**, and 2 more');
  });

  it('Slack and Teams say how many were left out past the list’s limit', () => {
    const many = Array.from({ length: 23 }, (_, i) => event(`w_${i % 2}`, i, i));

    expect(slackDigest(many, release).blocks.at(-2)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'and 3 more' }] });
    expect(teamsDigest(many, release).attachments[0].content.body.at(-2)).toEqual({ type: 'TextBlock', text: 'and 3 more', wrap: true });
    expect(teamsDigest(many, release).attachments[0].content.fallbackText).toBe('Watchpost digest: 23 events (3 not listed)');
  });
});
