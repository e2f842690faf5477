import { describe, expect, it } from 'vitest';
import { deliveryTarget } from '../../lambdas/domain/delivery-target';
import { buildDisabledNotice, NOTICE_TYPES, noticeEmailText, noticeHeadline } from '../../lambdas/domain/subscription-notice';

const AT = new Date('2026-11-24T10:00:00Z');
const hook = { id: 'sub_1', team: 'team-a', channel: 'webhook' as const, url: 'https://hooks.example.com/p?token=secret', description: 'release bot' };

describe('the notice that a subscription was disabled', () => {
  it('is a CloudEvent about the subscription, with an id fixed by the subscription and the moment', () => {
    const notice = buildDisabledNotice(hook, { reason: 'failing', failingSince: '2026-11-19T10:00:00.000Z', disabledAt: AT, lastError: 'receiver answered 503' });
    const again = buildDisabledNotice(hook, { reason: 'failing', failingSince: '2026-11-19T10:00:00.000Z', disabledAt: AT, lastError: 'other' });
    const later = buildDisabledNotice(hook, { reason: 'failing', failingSince: null, disabledAt: new Date(AT.getTime() + 1), lastError: null });
    const other = buildDisabledNotice({ ...hook, id: 'sub_2' }, { reason: 'failing', failingSince: null, disabledAt: AT, lastError: null });

    expect(notice).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
      source: '/watchpost/subscriptions/sub_1',
      type: NOTICE_TYPES.subscriptionDisabled,
      subject: 'subscriptions/sub_1',
      time: '2026-11-24T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        team: 'team-a',
        subscriptionId: 'sub_1',
        channel: 'webhook',
        target: 'hooks.example.com',
        description: 'release bot',
        reason: 'failing',
        failingSince: '2026-11-19T10:00:00.000Z',
        disabledAt: '2026-11-24T10:00:00.000Z',
        lastError: 'receiver answered 503',
      },
    });
    expect(again.id).toBe(notice.id);
    expect(new Set([notice.id, later.id, other.id]).size).toBe(3);
  });

  it('names where deliveries went without a path or query: host, Slack, the address, or just the channel', () => {
    expect(deliveryTarget(hook)).toBe('hooks.example.com');
    expect(deliveryTarget({ channel: 'slack', url: 'https://hooks.slack.com/services/T/B/secret' })).toBe('Slack');
    expect(deliveryTarget({ channel: 'email', address: 'oncall@corp.example' })).toBe('oncall@corp.example');
    expect(deliveryTarget({ channel: 'email' })).toBe('email');
    expect(deliveryTarget({ channel: 'webhook', url: 'not a url' })).toBe('webhook');
    expect(deliveryTarget({ channel: 'webhook' })).toBe('webhook');
  });

  it('reads as an email: what stopped, why, and how to turn it back on', () => {
    const failing = buildDisabledNotice(hook, { reason: 'failing', failingSince: '2026-11-19T10:00:00.000Z', disabledAt: AT, lastError: 'receiver answered 503' });

    expect(noticeEmailText(failing)).toBe(
      [
        'Watchpost stopped delivering to webhook subscription sub_1 (hooks.example.com)',
        '',
        'Every delivery to it has failed since 2026-11-19T10:00:00.000Z.',
        'It is disabled: it receives nothing, and events from now until it is re-enabled are not kept for it.',
        '',
        'Subscription: sub_1 (release bot)',
        'Channel:      webhook, hooks.example.com',
        'Team:         team-a',
        'Disabled at:  2026-11-24T10:00:00.000Z',
        'Last error:   receiver answered 503',
        '',
        'When the receiver works again, turn deliveries back on with',
        '  PATCH /v1/subscriptions/sub_1  {"paused": false}',
        'and, if you want to check it first, POST /v1/subscriptions/{id}/test.',
        '',
        `Notice id: ${failing.id}`,
      ].join('\n'),
    );
  });

  it('says a 410 in its own words, and leaves out what it does not know', () => {
    const gone = buildDisabledNotice({ id: 'sub_9', team: 't', channel: 'slack', url: 'https://hooks.slack.com/x' }, { reason: 'gone', failingSince: null, disabledAt: AT, lastError: null });
    const text = noticeEmailText(gone);
    const unknownSince = noticeEmailText(buildDisabledNotice(hook, { reason: 'failing', failingSince: null, disabledAt: AT, lastError: null }));

    expect(text.split('\n').slice(2, 3)).toEqual(['The receiver answered 410 Gone, which says it no longer wants deliveries.']);
    expect(text).toContain('Subscription: sub_9\n');
    expect(text).not.toContain('Last error');
    expect(unknownSince).toContain('Every delivery to it has failed since an unknown time.');
  });

  it('keeps its subject under SNS’s 100 characters, cutting with an ellipsis only when it must', () => {
    const withId = (id: string) => noticeHeadline(buildDisabledNotice({ ...hook, id }, { reason: 'gone', failingSince: null, disabledAt: AT, lastError: null }));
    const base = 'Watchpost stopped delivering to webhook subscription  (hooks.example.com)'.length;
    const exact = withId('s'.repeat(99 - base));
    const over = withId('s'.repeat(100 - base));

    expect(exact).toHaveLength(99);
    expect(exact.endsWith('(hooks.example.com)')).toBe(true);
    expect(over).toHaveLength(99);
    expect(over.endsWith('…')).toBe(true);
  });
});
