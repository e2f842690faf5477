import { z } from 'zod';
import { autoScientistRunType, AutoScientistRunRefSchema } from './resource-types/autoscientist-run';
import { correctionSessionType, CorrectionSessionRefSchema, type CorrectionSessionRef } from './resource-types/correction-session';
import { datasetType, DatasetRefSchema, type DatasetRef } from './resource-types/dataset';
import { PROVIDERS, TRACKABLE_FIELDS, TRACKED_SLOT, type ProviderId, type ResourceTypeDeclaration, type TrackedField } from './resource-types/declaration';

/**
 * The watchable resource types, gathered from their declarations in
 * `resource-types/` (one module per type). A new type is a new module there
 * and one entry in each list below; the layers above read what they need
 * through the functions here.
 */
export const ResourceRefSchema = z.discriminatedUnion('type', [DatasetRefSchema, CorrectionSessionRefSchema, AutoScientistRunRefSchema]);

export type ResourceRef = z.infer<typeof ResourceRefSchema>;
export type ResourceType = ResourceRef['type'];

type Declarations = { readonly [T in ResourceType]: ResourceTypeDeclaration<Extract<ResourceRef, { type: T }>> };

export const RESOURCE_TYPES: Declarations = {
  dataset: datasetType,
  correction_session: correctionSessionType,
  autoscientist_run: autoScientistRunType,
};

/** The type names, in declaration order (as z.enum wants them). */
export const RESOURCE_TYPE_NAMES = Object.keys(RESOURCE_TYPES) as [ResourceType, ...ResourceType[]];

/** A type's declaration, for a reference of that type. */
export function declarationOf<R extends ResourceRef>(type: R['type']): ResourceTypeDeclaration<R> {
  return RESOURCE_TYPES[type] as unknown as ResourceTypeDeclaration<R>;
}

export { DATASET_ID_PATTERN, DatasetRefSchema, type DatasetRef } from './resource-types/dataset';
export { CorrectionSessionRefSchema, type CorrectionSessionRef } from './resource-types/correction-session';
export { AutoScientistRunRefSchema, RUN_OUTCOMES, type AutoScientistRunRef } from './resource-types/autoscientist-run';
export { PROVIDERS, TRACKABLE_FIELDS, TRACKED_SLOT, type ProviderId, type TrackedField };
export const TrackedFieldSchema = z.enum(TRACKABLE_FIELDS);

/** What a watch notifies on when its creator does not say. */
export function defaultNotifyOn(type: ResourceType): TrackedField[] {
  return [...RESOURCE_TYPES[type].defaultNotifyOn];
}

/**
 * Why `notifyOn` does not fit a resource type (a field the type does not
 * have), or undefined when it does.
 */
export function notifyOnProblem(type: ResourceType, notifyOn: readonly TrackedField[] | undefined): string | undefined {
  const declaration = RESOURCE_TYPES[type];
  const missing = notifyOn?.find((field) => !declaration.trackable.includes(field));
  return missing === undefined ? undefined : `${declaration.plural} have no ${missing}; use ${declaration.trackable.join(' or ')}`;
}

/** Stable key of a resource, unique across providers: used for idempotent registration. */
export function resourceKey(ref: ResourceRef): string {
  return declarationOf(ref.type).key(ref);
}

/** CloudEvents `subject`: the resource's path as the provider names it. */
export function resourceSubject(ref: ResourceRef): string {
  return declarationOf(ref.type).subject(ref);
}

/** Short human name, for subjects and chat messages. */
export function resourceShortName(ref: ResourceRef): string {
  return declarationOf(ref.type).shortName(ref);
}

/** The provider a resource type belongs to. */
export function providerOf(type: ResourceType): ProviderId {
  return RESOURCE_TYPES[type].provider;
}

/** Whether a status ends the resource for good (it then only changes by going away). */
/** Whether a resource in this status is working and should keep moving (stall detection). */
export function isRunningStatus(type: ResourceType, status: string): boolean {
  return RESOURCE_TYPES[type].runningStatuses.includes(status);
}

export function isFinalStatus(type: ResourceType, status: string): boolean {
  return RESOURCE_TYPES[type].finalStatuses.includes(status);
}
