import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { escapeChatMarkdown } from '../../lambdas/domain/event-facts';
import { ADAPTIVE_CARD_CONTENT_TYPE, ADAPTIVE_CARD_SCHEMA, ADAPTIVE_CARD_VERSION, teamsMessage, type TeamsMessage } from '../../lambdas/domain/teams-card';
import { AT, EVENTS_BY_TYPE } from '../support/event-types';

const links = { dataset: 'https://app.example.com/datasets/{datasetId}' };

/**
 * What a Teams Workflows trigger accepts, from Microsoft's documentation: a
 * `message` whose attachment is an Adaptive Card of a version Teams renders
 * (≤ 1.5), naming its schema, made of elements that version has, under 28 KB.
 */
function expectValidTeamsMessage(message: TeamsMessage) {
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  const [attachment] = message.attachments;
  expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
  expect(attachment.content.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(attachment.content.type).toBe('AdaptiveCard');
  expect(Number(attachment.content.version)).toBeLessThanOrEqual(1.5);
  expect(attachment.content.fallbackText.length).toBeGreaterThan(0);
  for (const element of attachment.content.body as Array<{ type: string }>) expect(['TextBlock', 'FactSet', 'Container']).toContain(element.type);
  for (const action of (attachment.content.actions ?? []) as Array<{ type: string; url: string }>) {
    expect(action.type).toBe('Action.OpenUrl');
    expect(new URL(action.url).protocol).toBe('https:');
  }
  expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(28 * 1024);
}

function body(message: TeamsMessage) {
  return message.attachments[0].content.body;
}

const footer = (eventId: string, watchId = 'w_1') => ({
  type: 'TextBlock',
  text: `Watch ${watchId} · team team-a · 2026-11-24T10:00:00.000Z · event ${eventId}`,
  isSubtle: true,
  size: 'Small',
  wrap: true,
});

describe('teamsMessage, whole payloads per event type', () => {
  it('names the Adaptive Card version and schema, and carries a fallback text', () => {
    expect([ADAPTIVE_CARD_SCHEMA, ADAPTIVE_CARD_VERSION, ADAPTIVE_CARD_CONTENT_TYPE]).toEqual([
      'http://adaptivecards.io/schemas/adaptive-card.json',
      '1.5',
      'application/vnd.microsoft.card.adaptive',
    ]);
    const event = EVENTS_BY_TYPE.changed;

    expect(teamsMessage(event, links)).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.5',
            fallbackText: 'nightly eval: dataset ds_42: running → succeeded (grade none → B)',
            msteams: { width: 'Full' },
            body: [
              { type: 'TextBlock', text: 'nightly eval: dataset ds_42: running → succeeded (grade none → B)', weight: 'Bolder', size: 'Medium', color: 'Good', wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Resource', value: 'datasets/ds_42' },
                  { title: 'status', value: 'running → succeeded' },
                  { title: 'grade', value: 'none → B' },
                  { title: 'score', value: '0.81' },
                ],
              },
              footer(event.id),
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Open datasets/ds_42', url: 'https://app.example.com/datasets/ds_42' }],
          },
        },
      ],
    });
  });

  it('resource.gone: a warning, the resource, its link', () => {
    const event = EVENTS_BY_TYPE.gone;

    expect(body(teamsMessage(event, links))).toEqual([
      { type: 'TextBlock', text: 'nightly eval: dataset ds_42: no longer exists upstream', weight: 'Bolder', size: 'Medium', color: 'Warning', wrap: true },
      { type: 'FactSet', facts: [{ title: 'Resource', value: 'datasets/ds_42' }] },
      footer(event.id),
    ]);
  });

  it('watch.failing: a warning with the state, progress and last error; no link where none is configured', () => {
    const event = EVENTS_BY_TYPE.failing;
    const message = teamsMessage(event, links);

    expect(body(message)).toEqual([
      { type: 'TextBlock', text: 'correction 7/42: polling is failing (unavailable)', weight: 'Bolder', size: 'Medium', color: 'Warning', wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'Resource', value: 'projects/7/corrections/42' },
          { title: 'status', value: 'running' },
          { title: 'progress', value: '50%' },
          { title: 'last error', value: 'unavailable: projects/7/corrections/42: upstream answered 503 (5 polls in a row)' },
        ],
      },
      footer(event.id),
    ]);
    expect(message.attachments[0].content.actions).toBeUndefined();
  });

  it('watch.recovered: good news, with the fresh state', () => {
    const event = EVENTS_BY_TYPE.recovered;

    expect(body(teamsMessage(event, links))).toEqual([
      { type: 'TextBlock', text: 'nightly eval: dataset ds_42: polling recovered', weight: 'Bolder', size: 'Medium', color: 'Good', wrap: true },
      { type: 'FactSet', facts: [{ title: 'Resource', value: 'datasets/ds_42' }, { title: 'status', value: 'running' }, { title: 'progress', value: '80%' }] },
      footer(event.id),
    ]);
  });

  it('the test event: an accent title and no link to its made-up resource', () => {
    const event = EVENTS_BY_TYPE.test;
    const message = teamsMessage(event, links);

    expect(body(message)).toEqual([
      { type: 'TextBlock', text: 'Test notification: dataset test: test notification', weight: 'Bolder', size: 'Medium', color: 'Accent', wrap: true },
      { type: 'FactSet', facts: [{ title: 'Resource', value: 'datasets/test' }] },
      footer(event.id, 'test'),
    ]);
    expect(message.attachments[0].content.actions).toBeUndefined();
  });

  it.each(Object.entries(EVENTS_BY_TYPE))('%s follows the rules a Teams Workflows trigger holds cards to', (_type, event) => {
    expectValidTeamsMessage(teamsMessage(event, links));
  });

  it('colours a failed resource as Attention and a move between running states as Accent', () => {
    const failed = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: null, resource: { type: 'correction_session', projectId: 1, correctionId: 2 } },
      version: 3, time: AT, type: EVENT_TYPES.changed,
      changes: [{ field: 'status', from: 'ANNOTATING', to: 'FAILED' }],
      previous: null, current: { status: 'FAILED', grade: null, score: null, progressPercent: null, details: {} },
    });
    const started = { ...failed, data: { ...failed.data, changes: [{ field: 'status' as const, from: 'CREATED', to: 'STARTED' }], current: { status: 'STARTED', grade: null, score: null, progressPercent: 10, details: {} } } };

    expect((body(teamsMessage(failed))[0] as { color: string }).color).toBe('Attention');
    expect((body(teamsMessage(started))[0] as { color: string }).color).toBe('Accent');
  });
});

describe('teamsMessage, limits and hostile text', () => {
  it('cuts a long failure message and title with a marker and stays a valid card', () => {
    const long = buildWatchEvent({
      watch: { watchId: 'w_1', team: 'team-a', label: 'L'.repeat(100), resource: { type: 'dataset', datasetId: 'd'.repeat(128) } },
      version: 1, time: AT, type: EVENT_TYPES.failing, previous: null, current: null,
      failure: { kind: 'malformed', message: 'x'.repeat(5_000), consecutiveFailures: 5 },
    });
    const message = teamsMessage(long);
    const facts = (body(message)[1] as { facts: Array<{ title: string; value: string }> }).facts;

    expect(facts.find((fact) => fact.title === 'last error')?.value).toBe(`malformed: ${'x'.repeat(200)} (5 polls in a row)`);
    expect(message.attachments[0].content.fallbackText.length).toBeLessThanOrEqual(300);
    expectValidTeamsMessage(message);
  });

  it('escapes Markdown in a label so it cannot fake a link or formatting', () => {
    const event = { ...EVENTS_BY_TYPE.changed, data: { ...EVENTS_BY_TYPE.changed.data, label: '[click me](https://evil.example) **now**' } };

    const title = (body(teamsMessage(event))[0] as { text: string }).text;

    expect(title).toBe('\\[click me\\](https://evil.example) \\*\\*now\\*\\*: dataset ds_42: running → succeeded (grade none → B)');
  });
});

describe('escapeChatMarkdown', () => {
  it.each([
    ['in_progress', 'in_progress'],
    ['_italic_', '\\_italic\\_'],
    ['a*b`c~d|e', 'a\\*b\\`c\\~d\\|e'],
    ['<https://x>', '\\<https://x\\>'],
    ['back\\slash', 'back\\\\slash'],
    ['# heading', '\\# heading'],
    ['- item', '\\- item'],
    ['1. item', '1\\. item'],
    ['0.81', '0.81'],
    ['#hashtag', '#hashtag'],
    ['ds-42', 'ds-42'],
  ])('%s → %s', (text, escaped) => {
    expect(escapeChatMarkdown(text)).toBe(escaped);
  });
});
