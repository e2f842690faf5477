import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsTeamNotices } from '../../lambdas/adapters/sns/sns-team-notices';
import { buildDisabledNotice } from '../../lambdas/domain/subscription-notice';
import { retryDelayMs, RETRY_DELAYS_MS } from '../../lambdas/domain/delivery-schedule';
import { buildWatchEvent, EVENT_TYPES } from '../../lambdas/domain/events';
import { messageAttributes } from '../../lambdas/adapters/sns/sns-publisher';
import {
  currentSnsFilterPolicy,
  emailFilterProblem,
  filterPolicyComplexity,
  FILTERABLE_EVENT_TYPES,
  gradeMoveOf,
  matchesSubscription,
  snsFilterPolicy,
  SNS_FILTER_LIMITS,
  type Subscription,
  type SubscriptionFilter,
} from '../../lambdas/domain/subscription';
import { snsPolicyMatches } from '../support/sns-filter-policy';

describe('snsFilterPolicy', () => {
  const notices = { team: ['team-a'], eventType: ['io.watchpost.subscription.disabled'] };

  it('scopes an unfiltered subscription to its team (notices included)', () => {
    expect(snsFilterPolicy({ team: 'team-a', filter: null })).toEqual({ $or: [{ team: ['team-a'] }, notices] });
  });

  it('maps each filter list to the message attribute it matches, change-only conditions on change events only', () => {
    expect(snsFilterPolicy({ team: 'team-a', filter: { watchIds: ['w_1'], resourceTypes: ['dataset'], changes: ['grade'] } })).toEqual({
      $or: [
        { team: ['team-a'], watchId: ['w_1'], resourceType: ['dataset'], eventType: [EVENT_TYPES.changed], changedFields: ['grade'] },
        { team: ['team-a'], watchId: ['w_1'], resourceType: ['dataset'], eventType: [{ 'anything-but': EVENT_TYPES.changed }] },
        notices,
      ],
    });
  });

  it('splits an eventTypes list between the change branch and the others, and drops a branch the list leaves empty', () => {
    expect(snsFilterPolicy({ team: 'team-a', filter: { eventTypes: ['resource.changed', 'watch.failing'], statuses: ['succeeded'] } })).toEqual({
      $or: [{ team: ['team-a'], eventType: [EVENT_TYPES.changed], status: ['succeeded'] }, { team: ['team-a'], eventType: [EVENT_TYPES.failing] }, notices],
    });
    expect(snsFilterPolicy({ team: 'team-a', filter: { eventTypes: ['resource.changed'], grade: 'worsened' } })).toEqual({
      $or: [{ team: ['team-a'], eventType: [EVENT_TYPES.changed], gradeMove: ['worsened'] }, notices],
    });
    expect(snsFilterPolicy({ team: 'team-a', filter: { eventTypes: ['resource.gone'], grade: 'worsened' } })).toEqual({
      $or: [{ team: ['team-a'], eventType: [EVENT_TYPES.gone] }, notices],
    });
    expect(snsFilterPolicy({ team: 'team-a', filter: { eventTypes: ['resource.gone'] } })).toEqual({
      $or: [{ team: ['team-a'], eventType: [EVENT_TYPES.gone] }, notices],
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

  it('accepts the largest filters that stay within 150 combinations (one of which is the notices branch)', () => {
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(100) } })).toBeUndefined();
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(74), resourceTypes: ['dataset', 'correction_session'] } })).toBeUndefined();
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(75), resourceTypes: ['dataset', 'correction_session'] } })?.message).toContain('151 value combinations');
    expect(emailFilterProblem({ team: 'a', filter: { watchIds: ids(37), changes: ['status', 'grade', 'score'] } })).toBeUndefined();
  });

  it('names filter.watchIds, with how many fit, when 100 ids times resource types and changes pass 150', () => {
    const problem = emailFilterProblem({ team: 'a', filter: { watchIds: ids(100), resourceTypes: ['dataset', 'correction_session'], changes: ['status', 'grade', 'score'] } });

    expect(problem).toEqual({ path: 'filter.watchIds', message: expect.stringContaining('801 value combinations') });
    expect(problem?.message).toContain('at most 18 watch ids');
  });

  it('names the fields when a filter needs more than 5 attribute keys, and says how many to drop', () => {
    const problem = emailFilterProblem({
      team: 'a',
      filter: { watchIds: ['w_1'], resourceTypes: ['dataset'], eventTypes: ['resource.changed'], changes: ['status'], statuses: ['succeeded'] },
    });

    expect(problem).toEqual({ path: 'filter', message: expect.stringContaining('6 attribute keys (the team, and one for each of watchIds, resourceTypes, eventTypes, changes, statuses)') });
    expect(problem?.message).toContain('drop 1 of these fields');
  });

  it('names the widest list when value combinations pass 150, statuses included', () => {
    const statuses = Array.from({ length: 20 }, (_, i) => `S${i}`);
    expect(emailFilterProblem({ team: 'a', filter: { statuses, changes: ['status', 'grade', 'score'], resourceTypes: ['dataset', 'correction_session'], watchIds: ['w_1', 'w_2'] } })?.path).toBe(
      'filter.statuses',
    );
  });

  it('agrees with filterPolicyComplexity for every size of filter the API accepts', () => {
    const resourceTypeSets = [undefined, ['dataset' as const], ['dataset' as const, 'correction_session' as const]];
    const changeSets = [undefined, ['status' as const], ['status' as const, 'grade' as const], ['status' as const, 'grade' as const, 'score' as const]];
    for (const n of [undefined, 1, 2, 25, 37, 38, 50, 75, 76, 100]) {
      for (const resourceTypes of resourceTypeSets) {
        for (const changes of changeSets) {
          const subscription = { team: 'a', filter: { watchIds: n ? ids(n) : undefined, resourceTypes, changes } };
          for (const outcome of [{}, { statuses: ['succeeded', 'failed'] }, { grade: 'any' as const }, { eventTypes: ['resource.changed' as const] }, { statuses: ['succeeded'], grade: 'worsened' as const, eventTypes: ['resource.changed' as const] }]) {
            const combined = { team: 'a', filter: { ...subscription.filter, ...outcome } };
            const complexity = filterPolicyComplexity(snsFilterPolicy(combined));
            const within = complexity.keys <= SNS_FILTER_LIMITS.keys && complexity.combinations <= SNS_FILTER_LIMITS.combinations && complexity.bytes <= SNS_FILTER_LIMITS.bytes;
            // Whatever the API accepts (no problem found), SNS accepts too.
            expect(emailFilterProblem(combined) === undefined).toBe(within);
          }
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
  const event = (
    fields: {
      team?: string;
      type?: (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
      changes?: Array<{ field: 'status' | 'grade' | 'score' | 'winRate'; from: string | number | null; to: string | number | null }>;
      correction?: boolean;
      run?: boolean;
      status?: string;
    } = {},
  ) =>
    buildWatchEvent({
      watch: {
        watchId: 'w_1',
        team: fields.team ?? 'team-a',
        label: null,
        resource: fields.run
          ? { type: 'autoscientist_run', runId: 'as_run_1' }
          : fields.correction
            ? { type: 'correction_session', projectId: 1, correctionId: 2 }
            : { type: 'dataset', datasetId: 'ds_1' },
      },
      version: 1,
      time: new Date('2026-11-24T10:00:00Z'),
      type: fields.type ?? EVENT_TYPES.changed,
      changes: fields.changes ?? [{ field: 'status', from: 'running', to: 'succeeded' }],
      previous: snapshot,
      current: { ...snapshot, status: fields.status ?? snapshot.status },
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
    ['a run, to a runs filter', { resourceTypes: ['autoscientist_run'] }, { run: true }, true],
    ['a dataset, to a runs filter', { resourceTypes: ['autoscientist_run'] }, {}, false],
    ['a cancelled run, to a run outcomes filter', { statuses: ['succeeded', 'failed', 'cancelled'] }, { run: true, changes: [{ field: 'status', from: 'running', to: 'cancelled' }], status: 'cancelled' }, true],
    ['a better win rate, to a winRate filter', { changes: ['winRate'] }, { run: true, changes: [{ field: 'winRate', from: 0.6, to: 0.7 }] }, true],
    ['a status change, to a winRate filter', { changes: ['winRate'] }, { run: true }, false],
    ['an outcome, to an outcomes filter', { statuses: ['succeeded', 'failed', 'FINISHED', 'FAILED'] }, {}, true],
    ['a step that is no outcome, to an outcomes filter', { statuses: ['succeeded', 'failed'] }, { changes: [{ field: 'status', from: 'pending', to: 'running' }], status: 'running' }, false],
    ['a failing event, to an outcomes filter', { statuses: ['succeeded'] }, { type: EVENT_TYPES.failing, changes: [], status: 'running' }, true],
    ['a failing event, to a filter of change events only', { eventTypes: ['resource.changed'] }, { type: EVENT_TYPES.failing, changes: [] }, false],
    ['a change, to a filter of change events only', { eventTypes: ['resource.changed'] }, {}, true],
    ['a recovered event, to a filter of lifecycle events', { eventTypes: ['watch.failing', 'watch.recovered'] }, { type: EVENT_TYPES.recovered, changes: [] }, true],
    ['a grade appearing, to grade any', { grade: 'any' }, { changes: [{ field: 'grade', from: null, to: 'B' }] }, true],
    ['a grade appearing, to grade worsened', { grade: 'worsened' }, { changes: [{ field: 'grade', from: null, to: 'E' }] }, false],
    ['B to D, to grade worsened', { grade: 'worsened' }, { changes: [{ field: 'grade', from: 'B', to: 'D' }] }, true],
    ['B to D, to grade improved', { grade: 'improved' }, { changes: [{ field: 'grade', from: 'B', to: 'D' }] }, false],
    ['D to A, to grade improved', { grade: 'improved' }, { changes: [{ field: 'grade', from: 'D', to: 'A' }] }, true],
    ['a status change without a grade change, to grade any', { grade: 'any' }, {}, false],
    ['a gone event, to grade worsened', { grade: 'worsened' }, { type: EVENT_TYPES.gone, changes: [] }, true],
    [
      'a worse grade on an outcome, to outcomes AND worsened AND changes only',
      { statuses: ['succeeded'], grade: 'worsened', eventTypes: ['resource.changed'] },
      { changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: 'A', to: 'C' }] },
      true,
    ],
    ['a better grade on an outcome, to outcomes AND worsened', { statuses: ['succeeded'], grade: 'worsened' }, { changes: [{ field: 'grade', from: 'C', to: 'A' }] }, false],
  ])('decides %s', (_name, filter, fields, expected) => {
    expect(matchesSubscription(event(fields), subscription(filter))).toBe(expected);
  });

  it('reads grade moves with A best, and an appearing or vanishing grade as neither better nor worse', () => {
    const move = (from: string | null, to: string | null) => gradeMoveOf(event({ changes: [{ field: 'grade', from, to }] }));
    expect([move('B', 'A'), move('A', 'B'), move(null, 'C'), move('C', null), move('B', 'Z'), move(null, null)]).toEqual(['improved', 'worsened', 'appeared', 'removed', 'other', undefined]);
    expect(gradeMoveOf(event())).toBeUndefined();
  });

  /** Events of every type, status and grade move the filters below can tell apart. */
  const events = [
    event(),
    event({ changes: [{ field: 'status', from: 'pending', to: 'running' }], status: 'running' }),
    event({ changes: [{ field: 'status', from: 'running', to: 'failed' }], status: 'failed' }),
    event({ changes: [{ field: 'grade', from: null, to: 'B' }] }),
    event({ changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'grade', from: 'B', to: 'D' }] }),
    event({ changes: [{ field: 'grade', from: 'D', to: 'A' }] }),
    event({ changes: [{ field: 'score', from: '0.5', to: '0.7' }] }),
    event({ correction: true, changes: [{ field: 'status', from: 'ANNOTATING', to: 'FINISHED' }], status: 'FINISHED' }),
    event({ run: true, changes: [{ field: 'status', from: 'running', to: 'cancelled' }], status: 'cancelled' }),
    event({ run: true, changes: [{ field: 'status', from: 'running', to: 'succeeded' }, { field: 'winRate', from: 0.74, to: 0.82 }], status: 'succeeded' }),
    event({ run: true, changes: [{ field: 'winRate', from: null, to: 0.61 }], status: 'running' }),
    event({ run: true, type: EVENT_TYPES.gone, changes: [] }),
    event({ type: EVENT_TYPES.gone, changes: [] }),
    event({ type: EVENT_TYPES.failing, changes: [], status: 'running' }),
    event({ type: EVENT_TYPES.recovered, changes: [] }),
    event({ team: 'team-b' }),
  ];
  const filters: Array<SubscriptionFilter | null> = [
    null,
    { watchIds: ['w_1'] },
    { watchIds: ['w_2'] },
    { resourceTypes: ['correction_session'] },
    { changes: ['grade'] },
    { changes: ['status', 'score'] },
    { statuses: ['succeeded', 'failed', 'FINISHED', 'FAILED'] },
    { statuses: ['running'] },
    ...FILTERABLE_EVENT_TYPES.map((type) => ({ eventTypes: [type] })),
    { eventTypes: ['watch.failing', 'watch.recovered'] },
    { grade: 'any' },
    { grade: 'improved' },
    { grade: 'worsened' },
    { statuses: ['succeeded'], grade: 'worsened' },
    { changes: ['status'], statuses: ['failed', 'FINISHED'], eventTypes: ['resource.changed', 'resource.gone'] },
    { resourceTypes: ['dataset'], grade: 'any', eventTypes: ['resource.changed'] },
    { resourceTypes: ['autoscientist_run'] },
    { resourceTypes: ['autoscientist_run'], statuses: ['succeeded', 'failed', 'cancelled'] },
    { resourceTypes: ['autoscientist_run', 'dataset'], changes: ['winRate'] },
    { changes: ['winRate'], eventTypes: ['resource.changed'] },
    { statuses: ['cancelled'] },
  ];

  it('means the same through SNS (email: filter policy on message attributes) as through the delivery filter, for every filter and event', () => {
    const disagreements: string[] = [];
    for (const filter of filters) {
      for (const candidate of events) {
        const viaDelivery = matchesSubscription(candidate, subscription(filter));
        const viaSns = snsPolicyMatches(snsFilterPolicy(subscription(filter)), messageAttributes(candidate));
        if (viaDelivery !== viaSns) disagreements.push(`${JSON.stringify(filter)} × ${candidate.type} ${JSON.stringify(candidate.data.changes)}: delivery ${viaDelivery}, SNS ${viaSns}`);
      }
    }

    expect(disagreements).toEqual([]);
    // And the comparison means something: the filters let very different sets of events through.
    const passing = filters.map((filter) => events.filter((candidate) => matchesSubscription(candidate, subscription(filter))).length);
    expect(new Set(passing).size).toBeGreaterThan(5);
  });

  describe('notices of a disabled subscription, through SNS', () => {
    const client = new SNSClient({ region: 'eu-west-1' });
    const sns = mockClient(client);
    afterEach(() => sns.reset());
    const notice = buildDisabledNotice(
      { id: 'sub_1', team: 'team-a', channel: 'webhook', url: 'https://hooks.example.com/p?token=secret', description: null },
      { reason: 'failing', failingSince: '2026-11-19T10:00:00.000Z', disabledAt: new Date('2026-11-24T10:00:00Z'), lastError: 'receiver answered 503' },
    );

    it('reach every email subscription of the team whatever its filter, and no other team’s or a paused one', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'm1' });
      await new SnsTeamNotices(client, 'arn:aws:sns:eu-west-1:123456789012:changes').subscriptionDisabled(notice);
      const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
      const attributes = input.MessageAttributes ?? {};

      for (const filter of filters) {
        expect(snsPolicyMatches(snsFilterPolicy(subscription(filter)), attributes), JSON.stringify(filter)).toBe(true);
        expect(snsPolicyMatches(snsFilterPolicy({ team: 'team-b', filter }), attributes)).toBe(false);
        expect(snsPolicyMatches(currentSnsFilterPolicy({ ...subscription(filter), pausedAt: '2026-11-20T00:00:00Z' }), attributes)).toBe(false);
      }
      // And no change event is taken for a notice: a filter on watch ids still drops other watches' events.
      expect(snsPolicyMatches(snsFilterPolicy(subscription({ watchIds: ['w_9'] })), messageAttributes(events[0]!))).toBe(false);
    });

    it('carry the notice for machines and a readable email that names the endpoint by host only', async () => {
      sns.on(PublishCommand).resolves({ MessageId: 'm1' });
      await new SnsTeamNotices(client, 'arn:aws:sns:eu-west-1:123456789012:changes').subscriptionDisabled(notice);
      const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
      const message = JSON.parse(input.Message ?? '{}') as { default: string; email: string };

      expect(input).toMatchObject({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:changes', MessageStructure: 'json', Subject: 'Watchpost stopped delivering to webhook subscription sub_1 (hooks.example.com)' });
      expect(JSON.parse(message.default)).toEqual(notice);
      expect(notice.id).toMatch(/^evt_[0-9a-f]{32}$/);
      expect(message.email).toContain('Every delivery to it has failed since 2026-11-19T10:00:00.000Z.');
      expect(message.email).toContain('PATCH /v1/subscriptions/sub_1  {"paused": false}');
      expect(message.email).toContain('Last error:   receiver answered 503');
      expect(`${input.Subject} ${message.email}`).not.toContain('token=secret');
    });
  });
});

describe('snsPolicyMatches (the test evaluator of SNS filter policies)', () => {
  const attributes = {
    eventType: { DataType: 'String', StringValue: 'io.watchpost.resource.changed' },
    changedFields: { DataType: 'String.Array', StringValue: '["status","grade"]' },
  };

  it.each<[string, Record<string, unknown>, boolean]>([
    ['an exact value', { eventType: ['io.watchpost.resource.changed'] }, true],
    ['one of several values', { eventType: ['x', 'io.watchpost.resource.changed'] }, true],
    ['a value it does not have', { eventType: ['x'] }, false],
    ['an element of an array attribute', { changedFields: ['grade'] }, true],
    ['anything-but its value', { eventType: [{ 'anything-but': 'io.watchpost.resource.changed' }] }, false],
    ['anything-but another value', { eventType: [{ 'anything-but': ['x', 'y'] }] }, true],
    ['a missing attribute', { status: ['running'] }, false],
    ['anything-but on a missing attribute', { status: [{ 'anything-but': 'running' }] }, false],
    ['exists on a present attribute', { changedFields: [{ exists: true }] }, true],
    ['exists on a missing attribute', { gradeMove: [{ exists: true }] }, false],
    ['not exists on a missing attribute', { gradeMove: [{ exists: false }] }, true],
    ['every key (AND)', { eventType: ['io.watchpost.resource.changed'], changedFields: ['score'] }, false],
    ['one $or branch', { $or: [{ changedFields: ['score'] }, { eventType: ['io.watchpost.resource.changed'] }] }, true],
    ['no $or branch', { $or: [{ changedFields: ['score'] }, { status: ['x'] }] }, false],
  ])('matches %s as SNS does', (_name, policy, expected) => {
    expect(snsPolicyMatches(policy, attributes)).toBe(expected);
  });
});
