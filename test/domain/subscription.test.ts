import { describe, expect, it } from 'vitest';
import { retryDelayMs, RETRY_DELAYS_MS } from '../../lambdas/domain/delivery-schedule';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { emailFilterProblem, filterPolicyComplexity, matchesSubscription, snsFilterPolicy, SNS_FILTER_LIMITS, type Subscription, type SubscriptionFilter } from '../../lambdas/domain/subscription';

describe('snsFilterPolicy', () => {
  it('scopes an unfiltered subscription to its team', () => {
    expect(snsFilterPolicy({ team: 'team-a', filter: null })).toEqual({ team: ['team-a'] });
  });

  it('maps each filter list to the message attribute it matches', () => {
    expect(snsFilterPolicy({ team: 'team-a', filter: { watchIds: ['w_1'], resourceTypes: ['dataset'], changes: ['grade'] } })).toEqual({
      team: ['team-a'],
      watchId: ['w_1'],
      resourceType: ['dataset'],
      $or: [{ changedFields: ['grade'] }, { eventType: [{ 'anything-but': EVENT_TYPES.changed }] }],
    });
  });
});

describe('retryDelayMs', () => {
  it('follows the Standard Webhooks schedule, then gives up', () => {
    const middle = () => 0.5;
    expect(RETRY_DELAYS_MS.map((_, i) => retryDelayMs(i + 1, middle))).toEqual([...RETRY_DELAYS_MS]);
    expect(retryDelayMs(RETRY_DELAYS_MS.length + 1, middle)).toBeUndefined();
  });

  it('jitters by at most 10% either way', () => {
    expect(retryDelayMs(1, () => 0)).toBe(4_500);
    expect(retryDelayMs(1, () => 1)).toBe(5_500);
  });
});

describe('filterPolicyComplexity (SNS filter policy constraints)', () => {
  it.each([
    [{ team: ['a'] }, 1, 1],
    [{ team: ['a'], watchId: ['1', '2', '3'], resourceType: ['dataset', 'correction_session'] }, 3, 6],
    [{ team: ['a'], watchId: ['1', '2'], $or: [{ changedFields: ['status', 'grade'] }, { eventType: [{ 'anything-but': 'x' }] }] }, 4, 6],
  ])('counts keys and value combinations of %j', (policy, keys, combinations) => {
    expect(filterPolicyComplexity(policy)).toMatchObject({ keys, combinations });
  });
});

describe('emailFilterProblem', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `w_${i}`);

  it('accepts the largest filters that stay within 150 combinations', () => {
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(100) } })).toBeUndefined();
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(75), resourceTypes: ['dataset', 'correction_session'] } })).toBeUndefined();
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(37), changes: ['status', 'grade', 'score'] } })).toBeUndefined();
  });

  it('names filter.watchIds, with how many fit, when 100 ids times resource types and changes pass 150', () => {
    const problem = emailFilterProblem({ team: 'a', filter: { watchIds: ids(100), resourceTypes: ['dataset', 'correction_session'], changes: ['status', 'grade', 'score'] } });

    expect(problem).toEqual({ path: 'filter.watchIds', message: expect.stringContaining('800 value combinations') });
    expect(problem?.message).toContain('at most 18 watch ids');
  });

  it('agrees with filterPolicyComplexity for every size of filter the API accepts', () => {
    const resourceTypeSets = [undefined, ['dataset' as const], ['dataset' as const, 'correction_session' as const]];
    const changeSets = [undefined, ['status' as const], ['status' as const, 'grade' as const], ['status' as const, 'grade' as const, 'score' as const]];
    for (const n of [undefined, 1, 2, 25, 37, 38, 50, 75, 76, 100]) {
      for (const resourceTypes of resourceTypeSets) {
        for (const changes of changeSets) {
          const subscription = { team: 'a', filter: { watchIds: n ? ids(n) : undefined, resourceTypes, changes } };
          const { keys, combinations, bytes } = filterPolicyComplexity(snsFilterPolicy(subscription));
          const fits = keys <= SNS_FILTER_LIMITS.keys && combinations <= SNS_FILTER_LIMITS.combinations && bytes <= SNS_FILTER_LIMITS.bytes;
          expect(emailFilterProblem(subscription) === undefined).toBe(fits);
          expect(keys).toBeLessThanOrEqual(SNS_FILTER_LIMITS.keys);
        }
      }
    }
  });
});

describe('matchesSubscription', () => {
  const snapshot = { status: 'succeeded', grade: 'A', score: null, progressPercent: null, details: {} };
  const event = (fields: { team?: string; type?: (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES]; changes?: Array<{ field: 'status' | 'grade' | 'score'; from: string | null; to: string | null }>; correction?: boolean } = {}) =>
    buildWatchEvent({
      watch: {
        watchId: 'w_1',
        team: fields.team ?? 'team-a',
        label: null,
        resource: fields.correction ? { type: 'correction_session', projectId: 1, correctionId: 2 } : { type: 'dataset', datasetId: 'ds_1' },
      },
      version: 1,
      time: new Date('2026-11-24T10:00:00Z'),
      type: fields.type ?? EVENT_TYPES.changed,
      changes: fields.changes ?? [{ field: 'status', from: 'running', to: 'succeeded' }],
      previous: snapshot,
      current: snapshot,
    });
  const subscription = (filter: SubscriptionFilter | null, team = 'team-a'): Subscription => ({
    id: 'sub_1', team, channel: 'webhook', url: 'https://hooks.example.com/x', filter, status: 'active', createdAt: '2026-11-24T00:00:00Z',
  });

  it('never lets another team’s event through, filter or not', () => {
    expect(matchesSubscription(event({ team: 'team-b' }), subscription(null))).toBe(false);
    expect(matchesSubscription(event({ team: 'team-b' }), subscription({ watchIds: ['w_1'] }))).toBe(false);
    expect(matchesSubscription(event(), subscription(null))).toBe(true);
  });

  it.each<[string, SubscriptionFilter, Parameters<typeof event>[0], boolean]>([
    ['a listed watch', { watchIds: ['w_1', 'w_9'] }, {}, true],
    ['an unlisted watch', { watchIds: ['w_9'] }, {}, false],
    ['a listed resource type', { resourceTypes: ['dataset'] }, {}, true],
    ['an unlisted resource type', { resourceTypes: ['dataset'] }, { correction: true }, false],
    ['a change of status and grade, to a grade-only filter', { changes: ['grade'] }, { changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: null, to: 'A' }] }, true],
    ['a status-only change, to a grade-only filter', { changes: ['grade'] }, {}, false],
    ['a gone event, to a changes filter', { changes: ['grade'] }, { type: EVENT_TYPES.gone, changes: [] }, true],
    ['a failing event, to a changes filter', { changes: ['grade'] }, { type: EVENT_TYPES.failing, changes: [] }, true],
    ['a listed watch of an unlisted type', { watchIds: ['w_1'], resourceTypes: ['correction_session'] }, {}, false],
  ])('decides %s', (_name, filter, fields, expected) => {
    expect(matchesSubscription(event(fields), subscription(filter))).toBe(expected);
  });
});
