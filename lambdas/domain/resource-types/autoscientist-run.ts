import { z } from 'zod';
import { DATASET_ID_PATTERN, DATASET_ID_RULE } from './dataset';
import type { ResourceTypeDeclaration, SnapshotFigures } from './declaration';

/**
 * An Adaption AutoScientist training run (same provider and API key as
 * datasets). Its id is opaque like a dataset's, so it follows the same rules
 * before it reaches a URL.
 */
export const AutoScientistRunRefSchema = z.strictObject({
  type: z.literal('autoscientist_run'),
  runId: z.string().regex(DATASET_ID_PATTERN, DATASET_ID_RULE),
});
export type AutoScientistRunRef = z.infer<typeof AutoScientistRunRefSchema>;

/** A run's terminal statuses (upstream-apis.md): each is an outcome, and final. */
export const RUN_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;

export const autoScientistRunType: ResourceTypeDeclaration<AutoScientistRunRef> = {
  type: 'autoscientist_run',
  provider: 'adaption',
  title: 'AutoScientist training run',
  plural: 'AutoScientist runs',
  refSchema: AutoScientistRunRefSchema,
  // A run has no grade; its figure is best_win_rate, tracked as winRate.
  trackable: ['status', 'winRate'],
  defaultNotifyOn: ['status'],
  outcomeStatuses: RUN_OUTCOMES,
  // A run's terminal status is final: unlike a dataset, a run is never started again.
  finalStatuses: RUN_OUTCOMES,
  // Iterating: a run standing still here that long is stalled (its iterations, so its progress, stopped moving).
  runningStatuses: ['running'],
  key: (ref) => `autoscientist_run:${ref.runId}`,
  subject: (ref) => `autoscientist/${ref.runId}`,
  shortName: (ref) => `training run ${ref.runId}`,
  linkValues: (ref) => ({ runId: ref.runId }),
  scoreLabel: 'best win rate',
  summary: runSummary,
};

const rate = (value: unknown) => (typeof value === 'number' ? value.toFixed(2) : 'none yet');
const count = (value: unknown) => (typeof value === 'number' ? String(value) : '?');

/**
 * Where a run stands in one sentence, e.g. `Training finished: best win rate
 * 0.82, target 0.80, download ready` or `Iteration 3 of 5: best win rate
 * 0.74, target 0.80`.
 */
export function runSummary(snapshot: SnapshotFigures): string | undefined {
  const d = snapshot.details;
  const iterations = `${count(d.iterationsCompleted)} of ${count(d.maxIterations)}`;
  const rates = `best win rate ${rate(snapshot.score)}, target ${rate(d.targetWinRate)}`;
  switch (snapshot.status) {
    case 'succeeded':
      return `Training finished: ${rates}, ${d.downloadAvailable === true ? 'download ready' : 'download not ready yet'}`;
    case 'failed':
      return `Training failed after ${iterations} iterations${typeof d.errorMessage === 'string' ? `: ${d.errorMessage}` : ''}`;
    case 'cancelled':
      return `Training cancelled after ${iterations} iterations (${rates})`;
    case 'running':
      return `Iteration ${iterations}: ${rates}`;
    case 'pending':
      return `Waiting to start: ${iterations} iterations, target ${rate(d.targetWinRate)}`;
    default:
      return undefined;
  }
}
