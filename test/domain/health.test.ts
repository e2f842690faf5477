import { describe, expect, it } from 'vitest';
import { attentionRank, statusPhase, subscriptionHealth, watchHealth, type WatchHealthInput } from '../../lambdas/domain/health';

/** The one health model: each watch and subscription state, as the API and the console show it. */
const T = '2026-12-04T10:00:00.000Z';
const watch = (fields: Partial<WatchHealthInput> = {}): WatchHealthInput => ({
  state: 'active',
  paused: false,
  consecutiveFailures: 0,
  lastError: null,
  current: { status: 'running' },
  ...fields,
});

describe('watch health', () => {
  it.each([
    ['a running dataset', watch(), { state: 'running', attention: 'ok', label: 'running', failures: 0, since: null }],
    ['a queued dataset', watch({ current: { status: 'pending' } }), { state: 'pending', attention: 'ok', label: 'pending', failures: 0, since: null }],
    ['a succeeded dataset', watch({ current: { status: 'succeeded' } }), { state: 'succeeded', attention: 'ok', label: 'succeeded', failures: 0, since: null }],
    ['a failed dataset', watch({ current: { status: 'failed' } }), { state: 'failed', attention: 'warning', label: 'failed', failures: 0, since: null }],
    ['a dataset awaiting input', watch({ current: { status: 'awaiting_input' } }), { state: 'awaiting_input', attention: 'warning', label: 'awaiting input', failures: 0, since: null }],
    ['a cancelled run', watch({ current: { status: 'cancelled' } }), { state: 'cancelled', attention: 'ok', label: 'cancelled', failures: 0, since: null }],
    ['a predicting session', watch({ current: { status: 'PREDICTING' } }), { state: 'running', attention: 'ok', label: 'running', failures: 0, since: null }],
    ['a finished session', watch({ current: { status: 'FINISHED' } }), { state: 'succeeded', attention: 'ok', label: 'succeeded', failures: 0, since: null }],
    ['a failed session', watch({ current: { status: 'FAILED' } }), { state: 'failed', attention: 'warning', label: 'failed', failures: 0, since: null }],
    ['a session being deleted', watch({ current: { status: 'DELETING' } }), { state: 'ending', attention: 'notice', label: 'ending', failures: 0, since: null }],
    ['a status a provider added later', watch({ current: { status: 'QUEUED_FOR_REVIEW' } }), { state: 'unknown', attention: 'notice', label: 'QUEUED_FOR_REVIEW', failures: 0, since: null }],
    ['a watch before its first check', watch({ current: null }), { state: 'baseline', attention: 'ok', label: 'first check pending', failures: 0, since: null }],
    ['a gone session, whatever its last status', watch({ state: 'gone', current: { status: 'PREDICTING' } }), { state: 'gone', attention: 'warning', label: 'gone', failures: 0, since: null }],
    ['a paused watch', watch({ paused: true }), { state: 'paused', attention: 'idle', label: 'paused', failures: 0, since: null }],
    ['one failed check', watch({ consecutiveFailures: 1, lastError: { at: T } }), { state: 'erroring', attention: 'notice', label: 'check failed ×1', failures: 1, since: T }],
    ['four failed checks', watch({ consecutiveFailures: 4, lastError: { at: T } }), { state: 'erroring', attention: 'notice', label: 'check failed ×4', failures: 4, since: T }],
    ['five failed checks (the threshold)', watch({ consecutiveFailures: 5, lastError: { at: T } }), { state: 'failing', attention: 'critical', label: 'failing ×5', failures: 5, since: T }],
    ['failing, with the run’s start known', watch({ consecutiveFailures: 12, failingSince: '2026-12-04T08:00:00.000Z', lastError: { at: T } }), { state: 'failing', attention: 'critical', label: 'failing ×12', failures: 12, since: '2026-12-04T08:00:00.000Z' }],
    ['failing with no error recorded', watch({ consecutiveFailures: 30 }), { state: 'failing', attention: 'critical', label: 'failing ×30', failures: 30, since: null }],
    ['gone wins over failing', watch({ state: 'gone', consecutiveFailures: 9, lastError: { at: T } }), { state: 'gone', attention: 'warning', label: 'gone', failures: 9, since: T }],
    ['paused wins over failing', watch({ paused: true, consecutiveFailures: 9, lastError: { at: T } }), { state: 'paused', attention: 'idle', label: 'paused', failures: 9, since: T }],
    ['failing wins over the stale status', watch({ consecutiveFailures: 7, current: { status: 'failed' }, lastError: { at: T } }), { state: 'failing', attention: 'critical', label: 'failing ×7', failures: 7, since: T }],
    ['a stale error is no run once a check worked', watch({ consecutiveFailures: 0, lastError: { at: T }, failingSince: T }), { state: 'running', attention: 'ok', label: 'running', failures: 0, since: null }],
  ])('%s', (_what, input, expected) => {
    expect(watchHealth(input)).toEqual(expected);
  });

  it('takes the poller’s failure threshold when it is not the default', () => {
    expect(watchHealth(watch({ consecutiveFailures: 2 }), 2).state).toBe('failing');
    expect(watchHealth(watch({ consecutiveFailures: 1 }), 2).state).toBe('erroring');
  });

  it.each([
    [null, 'unknown'],
    [undefined, 'unknown'],
    ['', 'unknown'],
    ['Running', 'unknown'],
    ['toString', 'unknown'],
    ['SAMPLING', 'running'],
    ['ANNOTATING', 'running'],
    ['STARTED', 'running'],
    ['CREATED', 'pending'],
  ] as const)('reads the status %s as %s', (status, phase) => {
    expect(statusPhase(status)).toBe(phase);
  });
});

describe('subscription health', () => {
  const figures = (delivered: number, failed: number) => ({ delivered, failed, successRate: delivered + failed === 0 ? null : delivered / (delivered + failed) });
  it.each([
    ['an email subscription whose mail went out', { status: 'active' }, figures(12, 0), { state: 'healthy', attention: 'ok', reason: '100% delivered in 24 h' }],
    ['a quiet one', { status: 'active' }, figures(0, 0), { state: 'healthy', attention: 'ok', reason: 'no attempt in 24 h' }],
    ['95% exactly', { status: 'active' }, figures(19, 1), { state: 'healthy', attention: 'ok', reason: '95% delivered in 24 h' }],
    ['just under 95%', { status: 'active' }, figures(94, 6), { state: 'degraded', attention: 'warning', reason: '94% delivered in 24 h' }],
    ['a run of failures after some got through', { status: 'active', failingSince: '2026-12-04T09:00:00Z' }, figures(3, 1), { state: 'degraded', attention: 'warning', reason: 'failing now; 75% delivered in 24 h' }],
    ['nothing through in 24 h', { status: 'active', failingSince: '2026-12-03T09:00:00Z' }, figures(0, 7), { state: 'failing', attention: 'critical', reason: '0% delivered in 24 h' }],
    ['failing with no attempt in the window', { status: 'active', failingSince: '2026-12-01T09:00:00Z' }, figures(0, 0), { state: 'failing', attention: 'critical', reason: 'failing, no attempt in 24 h' }],
    ['paused', { status: 'active', pausedAt: T, failingSince: T }, figures(0, 3), { state: 'paused', attention: 'idle', reason: null }],
    ['disabled after days of failures', { status: 'disabled', disabledReason: 'failing', pausedAt: T }, figures(0, 3), { state: 'disabled', attention: 'critical', reason: 'every delivery failed for days' }],
    ['disabled by a 410', { status: 'disabled', disabledReason: 'gone' }, figures(5, 1), { state: 'disabled', attention: 'critical', reason: 'receiver answered 410 Gone' }],
    ['disabled for a reason added later', { status: 'disabled', disabledReason: 'abuse' }, figures(0, 0), { state: 'disabled', attention: 'critical', reason: 'turned off' }],
    ['an email waiting for confirmation', { status: 'pending_confirmation' }, figures(0, 0), { state: 'unconfirmed', attention: 'notice', reason: 'waiting for the recipient to confirm' }],
  ])('%s', (_what, input, counts, expected) => {
    expect(subscriptionHealth(input, counts)).toEqual(expected);
  });
});

describe('attention order', () => {
  it('puts critical first and idle last', () => {
    expect(['idle', 'ok', 'critical', 'notice', 'warning'].map((a) => attentionRank(a as never))).toEqual([4, 3, 0, 2, 1]);
  });
});
