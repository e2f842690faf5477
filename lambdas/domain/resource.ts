import { z } from 'zod';

/**
 * A watched resource on one of the two upstream services. Ids are validated
 * here, before they can reach a URL: integers must be positive and safe, and a
 * dataset id is a bounded, path-safe charset that cannot spell `.` or `..`.
 */
export const DATASET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const DatasetRefSchema = z.strictObject({
  type: z.literal('dataset'),
  datasetId: z
    .string()
    .regex(DATASET_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 _ . : - starting with a letter or digit'),
});

export const CorrectionSessionRefSchema = z.strictObject({
  type: z.literal('correction_session'),
  projectId: positiveId,
  correctionId: positiveId,
});

export const ResourceRefSchema = z.discriminatedUnion('type', [DatasetRefSchema, CorrectionSessionRefSchema]);

export type DatasetRef = z.infer<typeof DatasetRefSchema>;
export type CorrectionSessionRef = z.infer<typeof CorrectionSessionRefSchema>;
export type ResourceRef = z.infer<typeof ResourceRefSchema>;
export type ResourceType = ResourceRef['type'];

export const TRACKABLE_FIELDS = ['status', 'grade', 'score'] as const;
export type TrackedField = (typeof TRACKABLE_FIELDS)[number];
export const TrackedFieldSchema = z.enum(TRACKABLE_FIELDS);

/** What a watch notifies on when its creator does not say. */
export function defaultNotifyOn(type: ResourceType): TrackedField[] {
  // Correction sessions have no letter grade (upstream-apis.md).
  return type === 'dataset' ? ['status', 'grade'] : ['status'];
}

/** Stable key of a resource, unique across providers: used for idempotent registration. */
export function resourceKey(ref: ResourceRef): string {
  return ref.type === 'dataset'
    ? `dataset:${ref.datasetId}`
    : `correction_session:${ref.projectId}:${ref.correctionId}`;
}

/** CloudEvents `subject`: the resource's path as the provider names it. */
export function resourceSubject(ref: ResourceRef): string {
  return ref.type === 'dataset'
    ? `datasets/${ref.datasetId}`
    : `projects/${ref.projectId}/corrections/${ref.correctionId}`;
}

/** Short human name, for subjects and chat messages. */
export function resourceShortName(ref: ResourceRef): string {
  return ref.type === 'dataset'
    ? `dataset ${ref.datasetId}`
    : `correction ${ref.projectId}/${ref.correctionId}`;
}
