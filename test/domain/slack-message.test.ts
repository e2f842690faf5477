import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { resourceLink, slackMessage } from '../../lambdas/domain/slack-message';

const snapshot = (status: string) => ({ status, grade: null, score: null, progressPercent: null, details: {} });

describe('slackMessage', () => {
  const event = buildWatchEvent({
    watch: { watchId: 'w_1', team: 'team-a', label: '<!channel> ship it & <https://evil.example|click>', resource: { type: 'dataset', datasetId: 'ds_1' } },
    version: 3,
    time: new Date('2026-11-24T10:00:00Z'),
    type: EVENT_TYPES.changed,
    changes: [{ field: 'status', from: 'running', to: '<!here>' }],
    previous: snapshot('running'),
    current: snapshot('<!here>'),
  });
  const message = slackMessage(event);
  const texts = [message.text, ...JSON.stringify(message.blocks).match(/"text":"(?:[^"\\]|\\.)*"/g)!];

  it('escapes &, < and > in the text fallback, so a label cannot mention @channel or fake a link', () => {
    expect(message.text).toBe('&lt;!channel&gt; ship it &amp; &lt;https://evil.example|click&gt;: dataset ds_1: running → &lt;!here&gt;');
  });

  it('leaves no unescaped upstream or label text in any field', () => {
    for (const text of texts) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<!here>');
      expect(text).not.toContain('<https://evil.example');
    }
  });

  it('keeps a configured link as a link, with the subject escaped as its text', () => {
    const linked = slackMessage(event, { dataset: 'https://app.example.com/datasets/{datasetId}' });

    expect(JSON.stringify(linked.blocks)).toContain('<https://app.example.com/datasets/ds_1|datasets/ds_1>');
  });
});

describe('slackMessage, whole messages', () => {
  const at = new Date('2026-11-24T10:00:00Z');
  const dataset = { type: 'dataset' as const, datasetId: 'ds_42' };
  const session = { type: 'correction_session' as const, projectId: 7, correctionId: 42 };
  const current = { status: 'succeeded', grade: 'B', score: 0.74, progressPercent: null, details: {} };

  it('reads as headline, fields and context for a change, grade and score shown beside it', () => {
    const event = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: null, resource: dataset },
      version: 2, time: at, type: EVENT_TYPES.changed,
      changes: [{ field: 'status', from: 'running', to: 'succeeded' }],
      previous: null, current,
    });

    expect(slackMessage(event)).toEqual({
      text: 'dataset ds_42: running → succeeded',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':large_blue_circle: *dataset ds_42: running → succeeded*' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Resource*\n`datasets/ds_42`' },
            { type: 'mrkdwn', text: '*status*\n`running` → `succeeded`' },
            { type: 'mrkdwn', text: '*grade*\n`B`' },
            { type: 'mrkdwn', text: '*score*\n`0.74`' },
          ],
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `Watch \`w_1\` · team \`team-a\` · 2026-11-24T10:00:00.000Z · event \`${event.id}\`` }] },
      ],
    });
  });

  it('shows a grade or score that changed once, as the change, and an absent value as none', () => {
    const event = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: 'eval', resource: dataset },
      version: 2, time: at, type: EVENT_TYPES.changed,
      changes: [{ field: 'grade', from: null, to: 'B' }, { field: 'score', from: 0.5, to: 0.74 }],
      previous: null, current,
    });

    expect((slackMessage(event).blocks[1] as { fields: Array<{ text: string }> }).fields.map((f) => f.text)).toEqual([
      '*Resource*\n`datasets/ds_42`',
      '*grade*\n_none_ → `B`',
      '*score*\n`0.5` → `0.74`',
    ]);
  });

  it('marks a failing watch with a warning and its last error, cut to 200 characters', () => {
    const event = buildWatchEvent({
      watch: { watchId: 'w_9', team: 'team-a', label: null, resource: session },
      version: 5, time: at, type: EVENT_TYPES.failing,
      failure: { kind: 'unavailable', message: `upstream answered 503 ${'x'.repeat(300)}`, consecutiveFailures: 5 },
      previous: null, current: { ...current, grade: null, score: null },
    });

    const message = slackMessage(event);

    expect((message.blocks[0] as { text: { text: string } }).text.text.startsWith(':warning: *')).toBe(true);
    expect((message.blocks[1] as { fields: Array<{ text: string }> }).fields).toEqual([
      { type: 'mrkdwn', text: '*Resource*\n`projects/7/corrections/42`' },
      { type: 'mrkdwn', text: `*last error*\nunavailable: ${`upstream answered 503 ${'x'.repeat(300)}`.slice(0, 200)}` },
    ]);
  });

  it.each([
    [EVENT_TYPES.recovered, ':white_check_mark:'],
    [EVENT_TYPES.gone, ':warning:'],
  ])('marks a %s event with %s', (type, emoji) => {
    const event = buildWatchEvent({ watch: { watchId: 'w_1', team: 'team-a', label: null, resource: dataset }, version: 2, time: at, type, previous: null, current: null });

    expect((slackMessage(event).blocks[0] as { text: { text: string } }).text.text.split(' ')[0]).toBe(emoji);
  });

  it('fills a correction session’s link template, encoding each value and leaving unknown names as they are', () => {
    const event = buildWatchEvent({ watch: { watchId: 'w_1', team: 'team-a', label: null, resource: session }, version: 2, time: at, type: EVENT_TYPES.gone, previous: null, current: null });
    const other = buildWatchEvent({ watch: { watchId: 'w_2', team: 'team-a', label: null, resource: { type: 'dataset', datasetId: 'a b' } }, version: 2, time: at, type: EVENT_TYPES.gone, previous: null, current: null });

    expect(resourceLink(event, { correction_session: 'https://studio.example/p/{projectId}/c/{correctionId}?tab={tab}' })).toBe('https://studio.example/p/7/c/42?tab={tab}');
    expect(resourceLink(event, { dataset: 'https://app.example/d/{datasetId}' })).toBeUndefined();
    expect(resourceLink(other, { dataset: 'https://app.example/d/{datasetId}' })).toBe('https://app.example/d/a%20b');
  });

  it('keeps at most 10 fields, Slack’s limit for a section', () => {
    const changes = Array.from({ length: 12 }, (_, i) => ({ field: `f${i}` as 'status', from: 'a', to: 'b' }));
    const event = buildWatchEvent({ watch: { watchId: 'w_1', team: 'team-a', label: null, resource: dataset }, version: 2, time: at, type: EVENT_TYPES.changed, changes, previous: null, current: null });

    const fields = (slackMessage(event).blocks[1] as { fields: Array<{ text: string }> }).fields;

    expect(fields).toHaveLength(10);
    expect(fields.at(-1)?.text).toBe('*f8*\n`a` → `b`');
  });
});
