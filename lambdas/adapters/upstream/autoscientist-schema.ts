import { z } from 'zod';
import type { Snapshot } from '../../domain/snapshot';
import type { Mapped } from './adaption-schema';

/**
 * An Adaption AutoScientist run, as `GET /api/v1/autoscientist/{id}` and the
 * entries of `GET /api/v1/autoscientist` carry it (the list's entries are
 * whole runs). Read tolerantly: unknown fields are dropped and documented
 * fields may be null or absent, but what Watchpost acts on (`status`,
 * `best_win_rate`, the id) must have the documented type or the run is
 * rejected, never turned into a change.
 */
const nullableNumber = z.number().nullish();

export const RunResponseSchema = z.object({
  id: z.string(),
  status: z.string(),
  best_win_rate: nullableNumber,
  dataset_id: z.string().nullish(),
  model: z.string().nullish(),
  created_at: z.string().nullish(),
  completed_at: z.string().nullish(),
  iterations_completed: nullableNumber,
  max_iterations: nullableNumber,
  target_win_rate: nullableNumber,
  training_method: z.string().nullish(),
  download_available: z.boolean().nullish(),
  error: z.string().nullish(),
});
export type RunResponse = z.infer<typeof RunResponseSchema>;

/**
 * One page of the runs list. Entries are kept raw here and read one by one,
 * so one malformed run fails only itself, not the page.
 */
export const RunListPageSchema = z.object({
  runs: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

/** The entry's id, if it has a usable one (an entry without is skipped: it cannot be matched to a watch). */
export function listedRunId(entry: unknown): string | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  const id = (entry as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** `iterations_completed` of `max_iterations` as a percentage, when both are there and make sense. */
function iterationPercent(completed: number | null, max: number | null): number | null {
  if (completed === null || max === null || max <= 0) return null;
  return Math.round((Math.min(completed, max) / max) * 1000) / 10;
}

export function runSnapshot(body: RunResponse): Mapped {
  const warnings: string[] = [];
  if (!(RUN_STATUSES as readonly string[]).includes(body.status)) warnings.push(`unknown run status "${body.status}"`);
  const completed = body.iterations_completed ?? null;
  const max = body.max_iterations ?? null;
  const snapshot: Snapshot = {
    status: body.status,
    grade: null,
    score: body.best_win_rate ?? null,
    progressPercent: iterationPercent(completed, max),
    details: {
      datasetId: body.dataset_id ?? null,
      model: body.model ?? null,
      trainingMethod: body.training_method ?? null,
      iterationsCompleted: completed,
      maxIterations: max,
      bestWinRate: body.best_win_rate ?? null,
      targetWinRate: body.target_win_rate ?? null,
      downloadAvailable: body.download_available ?? null,
      errorMessage: body.error ?? null,
      createdAt: body.created_at ?? null,
      completedAt: body.completed_at ?? null,
    },
  };
  return { snapshot, warnings };
}
