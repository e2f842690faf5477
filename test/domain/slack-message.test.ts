import { describe, expect, it } from 'vitest';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { slackMessage } from '../../lambdas/domain/slack-message';

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
