/**
 * The API's views as the console reads them: the server's own view types
 * (type-only imports, erased from the bundle), so the two cannot drift.
 */
import type { AttemptLog } from '../../adapters/dynamo/delivery-store';
import type { subscriptionView, watchView } from '../../api/views';
import type { ResourceRef } from '../../domain/resource';

export type Resource = ResourceRef;
export type Attempt = AttemptLog;
export type WatchView = ReturnType<typeof watchView>;

export type SubscriptionView = ReturnType<typeof subscriptionView> & {
  secret?: string;
  delivery?: { delivered: number; failedAttempts: number; lastSuccessAt: string | null; lastFailureAt: string | null; nextRetryAt: string | null; recentAttempts: Attempt[] };
};

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A resource's short name; a type added later reads by its type and its first id field. */
export function resourceName(resource: Resource): string {
  if (resource.type === 'autoscientist_run') return `training run ${resource.runId}`;
  if (resource.type === 'dataset') return `dataset ${resource.datasetId}`;
  if (resource.type === 'correction_session') return `session ${resource.projectId}/${resource.correctionId}`;
  const other = resource as unknown as Record<string, unknown>;
  const id = Object.entries(other).find(([key]) => key !== 'type')?.[1];
  return `${String(other.type).replace(/_/g, ' ')} ${String(id ?? '')}`.trim();
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
