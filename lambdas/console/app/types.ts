/** The API's views as the console reads them (see lambdas/api/views.ts and the OpenAPI document). */
export type Resource = { type: 'dataset'; datasetId: string } | { type: 'correction_session'; projectId: number; correctionId: number };

export interface Snapshot {
  status: string;
  grade: string | null;
  score: number | null;
  progressPercent: number | null;
}

export interface WatchView {
  id: string;
  resource: Resource;
  notifyOn: string[];
  label: string | null;
  paused: boolean;
  state: string;
  current: Snapshot | null;
  lastPolledAt: string | null;
  lastError: { kind: string; message: string; at?: string } | null;
  createdAt: string;
}

export interface Attempt {
  at: string;
  eventId: string;
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface SubscriptionView {
  id: string;
  channel: 'email' | 'slack' | 'webhook';
  address?: string;
  url?: string;
  filter: Record<string, unknown> | null;
  status: 'active' | 'pending_confirmation' | 'disabled';
  description: string | null;
  paused: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  secret?: string;
  delivery?: { delivered: number; failedAttempts: number; lastSuccessAt: string | null; lastFailureAt: string | null; nextRetryAt: string | null; recentAttempts: Attempt[] };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function resourceName(resource: Resource): string {
  return resource.type === 'dataset' ? `dataset ${resource.datasetId}` : `session ${resource.projectId}/${resource.correctionId}`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
