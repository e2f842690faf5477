import { z } from 'zod';
import type { ResourceTypeDeclaration } from './declaration';

/**
 * An Adaption Labs dataset. Its id is an opaque string: a bounded, path-safe
 * charset that cannot spell `.` or `..`, checked before it reaches a URL.
 */
export const DATASET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const DATASET_ID_RULE = 'must be 1-128 characters of A-Z a-z 0-9 _ . : - starting with a letter or digit';

export const DatasetRefSchema = z.strictObject({
  type: z.literal('dataset'),
  datasetId: z.string().regex(DATASET_ID_PATTERN, DATASET_ID_RULE),
});
export type DatasetRef = z.infer<typeof DatasetRefSchema>;

export const datasetType: ResourceTypeDeclaration<DatasetRef> = {
  type: 'dataset',
  provider: 'adaption',
  title: 'Adaption dataset',
  plural: 'datasets',
  refSchema: DatasetRefSchema,
  trackable: ['status', 'grade', 'score'],
  defaultNotifyOn: ['status', 'grade'],
  outcomeStatuses: ['succeeded', 'failed'],
  // A dataset can be run again (a new run_id takes it back to pending): no status is final.
  finalStatuses: [],
  runningStatuses: ['running'],
  key: (ref) => `dataset:${ref.datasetId}`,
  subject: (ref) => `datasets/${ref.datasetId}`,
  shortName: (ref) => `dataset ${ref.datasetId}`,
  scoreLabel: 'score',
  linkValues: (ref) => ({ datasetId: ref.datasetId }),
};
