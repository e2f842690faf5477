import { describe, expect, it } from 'vitest';
import { providerConfigured, upstreamConfigured } from '../../lambdas/config';
import {
  declarationOf,
  isFinalStatus,
  notifyOnProblem,
  PROVIDERS,
  providerOf,
  RESOURCE_TYPE_NAMES,
  RESOURCE_TYPES,
  type ResourceType,
} from '../../lambdas/domain/resource';

/** What each resource type declares, read through the functions the layers above use. */
describe('resource type declarations', () => {
  it('list every type once, in declaration order, each under its own name', () => {
    expect(RESOURCE_TYPE_NAMES).toEqual(['dataset', 'correction_session', 'autoscientist_run']);
    for (const type of RESOURCE_TYPE_NAMES) expect(RESOURCE_TYPES[type].type).toBe(type);
    expect(declarationOf('dataset')).toBe(RESOURCE_TYPES.dataset);
  });

  it.each<[ResourceType, string, string[], string[], string[]]>([
    ['dataset', 'adaption', ['status', 'grade', 'score'], ['succeeded', 'failed'], []],
    ['correction_session', 'deepopinion', ['status', 'score'], ['FINISHED', 'FAILED'], ['FINISHED', 'FAILED']],
    ['autoscientist_run', 'adaption', ['status', 'winRate'], ['succeeded', 'failed', 'cancelled'], ['succeeded', 'failed', 'cancelled']],
  ])('declare %s: provider, trackable fields, outcomes, final statuses', (type, provider, trackable, outcomes, finals) => {
    const declaration = RESOURCE_TYPES[type];
    expect([providerOf(type), declaration.trackable, declaration.outcomeStatuses, declaration.finalStatuses]).toEqual([provider, trackable, outcomes, finals]);
  });

  it.each<[ResourceType, string, boolean]>([
    ['correction_session', 'FINISHED', true],
    ['correction_session', 'FAILED', true],
    ['correction_session', 'ANNOTATING', false],
    ['correction_session', 'finished', false],
    // A dataset can be run again: succeeded is the end of a run, not of the dataset.
    ['dataset', 'succeeded', false],
    ['dataset', 'failed', false],
  ])('call %s status %s final: %s', (type, status, final) => {
    expect(isFinalStatus(type, status)).toBe(final);
  });

  it('names the field a type does not have, and what it has instead', () => {
    expect(notifyOnProblem('correction_session', ['status', 'grade'])).toBe('correction sessions have no grade; use status or score');
    expect(notifyOnProblem('correction_session', ['score', 'status'])).toBeUndefined();
    expect(notifyOnProblem('dataset', ['status', 'grade', 'score'])).toBeUndefined();
    expect(notifyOnProblem('dataset', undefined)).toBeUndefined();
  });

  it('call the score figure by its name in texts', () => {
    expect(RESOURCE_TYPE_NAMES.map((type) => RESOURCE_TYPES[type].scoreLabel)).toEqual(['score', 'score', 'best win rate']);
    expect([RESOURCE_TYPES.dataset.summary, RESOURCE_TYPES.correction_session.summary]).toEqual([undefined, undefined]);
  });

  it('build link values from the reference', () => {
    expect(RESOURCE_TYPES.autoscientist_run.linkValues({ type: 'autoscientist_run', runId: 'r1' })).toEqual({ runId: 'r1' });
    expect(RESOURCE_TYPES.dataset.linkValues({ type: 'dataset', datasetId: 'ds 1' })).toEqual({ datasetId: 'ds 1' });
    expect(RESOURCE_TYPES.correction_session.linkValues({ type: 'correction_session', projectId: 7, correctionId: 42 })).toEqual({ projectId: '7', correctionId: '42' });
  });

  it('give each provider a name and the settings that configure it', () => {
    expect(PROVIDERS).toEqual({
      adaption: { name: 'Adaption Labs', settings: 'ADAPTION_API_KEY' },
      deepopinion: { name: 'DeepOpinion', settings: 'DEEPOPINION_TOKEN, or DEEPOPINION_EMAIL and DEEPOPINION_PASSWORD' },
    });
  });

  it('count a type as configured when its provider’s credentials are there', () => {
    const adaptionOnly = { adaptionApiKey: 'pt_live_x' };
    const deepOpinionOnly = { deepOpinion: { token: 'jwt' } };
    expect([providerConfigured(adaptionOnly, 'adaption'), providerConfigured(adaptionOnly, 'deepopinion')]).toEqual([true, false]);
    expect([providerConfigured(deepOpinionOnly, 'adaption'), providerConfigured(deepOpinionOnly, 'deepopinion')]).toEqual([false, true]);
    expect([upstreamConfigured(adaptionOnly, 'dataset'), upstreamConfigured(adaptionOnly, 'correction_session'), upstreamConfigured(adaptionOnly, 'autoscientist_run')]).toEqual([true, false, true]);
  });
});
