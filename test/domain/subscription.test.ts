import { describe, expect, it } from 'vitest';
import { retryDelayMs, RETRY_DELAYS_MS } from '../../lambdas/domain/delivery-schedule';
import { EVENT_TYPES } from '../../lambdas/domain/events';
import { snsFilterPolicy } from '../../lambdas/domain/subscription';

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
