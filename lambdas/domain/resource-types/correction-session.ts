import { z } from 'zod';
import type { ResourceTypeDeclaration } from './declaration';

const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A DeepOpinion Studio correction session: two positive, safe integers. */
export const CorrectionSessionRefSchema = z.strictObject({
  type: z.literal('correction_session'),
  projectId: positiveId,
  correctionId: positiveId,
});
export type CorrectionSessionRef = z.infer<typeof CorrectionSessionRefSchema>;

export const correctionSessionType: ResourceTypeDeclaration<CorrectionSessionRef> = {
  type: 'correction_session',
  provider: 'deepopinion',
  title: 'DeepOpinion correction session',
  plural: 'correction sessions',
  refSchema: CorrectionSessionRefSchema,
  // Correction sessions have no letter grade (upstream-apis.md); their figure is predicted_score.
  trackable: ['status', 'score'],
  defaultNotifyOn: ['status'],
  outcomeStatuses: ['FINISHED', 'FAILED'],
  // DeepOpinion's terminal statuses: a session there changes only by going away.
  finalStatuses: ['FINISHED', 'FAILED'],
  runningStatuses: ['STARTED', 'SAMPLING', 'PREDICTING', 'ANNOTATING'],
  key: (ref) => `correction_session:${ref.projectId}:${ref.correctionId}`,
  subject: (ref) => `projects/${ref.projectId}/corrections/${ref.correctionId}`,
  shortName: (ref) => `correction ${ref.projectId}/${ref.correctionId}`,
  scoreLabel: 'score',
  linkValues: (ref) => ({ projectId: String(ref.projectId), correctionId: String(ref.correctionId) }),
};
