import { emptySummary, type PollSummary } from '../../lambdas/domain/poll-watches';

/** A tick's summary with these fields and zero everywhere else: for pinning a summary whole, so a miscounted field shows. */
export function summaryWith(fields: Partial<Omit<PollSummary, 'requests'>> & { requests?: Partial<PollSummary['requests']> }): PollSummary {
  return { ...emptySummary(), ...fields, requests: { get: 0, projectList: 0, datasetList: 0, runList: 0, ...fields.requests } };
}
