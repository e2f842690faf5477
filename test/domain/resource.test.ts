import { describe, expect, it } from 'vitest';
import { defaultNotifyOn, ResourceRefSchema, resourceKey, resourceShortName, resourceSubject } from '../../lambdas/domain/resource';
import { isPollable, watchIdFor } from '../../lambdas/domain/watch';

const dataset = { type: 'dataset' as const, datasetId: 'ds_42' };
const correction = { type: 'correction_session' as const, projectId: 7, correctionId: 42 };

describe('resources', () => {
  it('have a key, a CloudEvents subject and a short name per provider', () => {
    expect([resourceKey(dataset), resourceSubject(dataset), resourceShortName(dataset)]).toEqual(['dataset:ds_42', 'datasets/ds_42', 'dataset ds_42']);
    expect([resourceKey(correction), resourceSubject(correction), resourceShortName(correction)]).toEqual([
      'correction_session:7:42',
      'projects/7/corrections/42',
      'correction 7/42',
    ]);
  });

  it('notify on status and grade for datasets, on status for correction sessions, by default', () => {
    expect(defaultNotifyOn('dataset')).toEqual(['status', 'grade']);
    expect(defaultNotifyOn('correction_session')).toEqual(['status']);
  });

  it.each([['A'], ['ds_42'], ['a.b:c-d_e'], ['x'.repeat(128)]])('accept dataset id %j', (datasetId) => {
    expect(ResourceRefSchema.safeParse({ type: 'dataset', datasetId }).success).toBe(true);
  });

  it.each([[''], ['.hidden'], ['-x'], ['a/b'], ['x'.repeat(129)], ['a b']])('refuse dataset id %j', (datasetId) => {
    expect(ResourceRefSchema.safeParse({ type: 'dataset', datasetId }).success).toBe(false);
  });

  it.each([[0], [-1], [1.5], [2 ** 53]])('refuse correction id %s', (correctionId) => {
    expect(ResourceRefSchema.safeParse({ ...correction, correctionId }).success).toBe(false);
  });
});

describe('watches', () => {
  it('derive one id per team and resource, distinct across teams and resources', () => {
    const id = watchIdFor('team-a', dataset);

    expect(id).toMatch(/^w_[0-9a-f]{24}$/);
    expect(watchIdFor('team-a', { ...dataset })).toBe(id);
    expect(new Set([id, watchIdFor('team-b', dataset), watchIdFor('team-a', { ...dataset, datasetId: 'ds_43' }), watchIdFor('team-a', correction)]).size).toBe(4);
  });

  it('are polled only while active and not paused', () => {
    expect(isPollable({ paused: false, state: 'active' })).toBe(true);
    expect(isPollable({ paused: true, state: 'active' })).toBe(false);
    expect(isPollable({ paused: false, state: 'gone' })).toBe(false);
  });
});
