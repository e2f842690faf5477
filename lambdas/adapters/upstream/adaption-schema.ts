import { z } from 'zod';
import { GRADES, type Snapshot } from '../../domain/snapshot';

/**
 * Adaption Labs `GET /api/v1/datasets/{id}`, read tolerantly: unknown fields
 * are dropped, documented-nullable fields accept null or absence, but the
 * fields Watchpost acts on (`status`, the grades, the scores) must have the
 * documented type or the whole response is rejected.
 */
const nullableNumber = z.number().nullish();

export const DatasetResponseSchema = z.object({
  dataset_id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  run_id: z.string().nullish(),
  row_count: nullableNumber,
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  error: z.object({ message: z.string().nullish() }).nullish(),
  progress: z
    .object({ percent: nullableNumber, processed_rows: nullableNumber, total_rows: nullableNumber })
    .nullish(),
  evaluation_summary: z
    .object({
      grade_after: z.string().nullish(),
      grade_before: z.string().nullish(),
      improvement_percent: nullableNumber,
      score_after: nullableNumber,
      score_before: nullableNumber,
    })
    .nullish(),
});
export type DatasetResponse = z.infer<typeof DatasetResponseSchema>;

/** One page of `GET /api/v1/datasets`: entries carry no evaluation or progress. */
export const DatasetListPageSchema = z.object({
  data: z.array(z.object({ dataset_id: z.string(), status: z.string(), updated_at: z.string().nullish() })),
  next_cursor: z.string().nullish(),
});

export const DATASET_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;

export interface Mapped {
  snapshot: Snapshot;
  /** Tolerated surprises (a new status, an odd grade) worth a log line. */
  warnings: string[];
}

export function datasetSnapshot(body: DatasetResponse): Mapped {
  const warnings: string[] = [];
  if (!(DATASET_STATUSES as readonly string[]).includes(body.status)) {
    warnings.push(`unknown dataset status "${body.status}"`);
  }
  const evaluation = body.evaluation_summary ?? null;
  const grade = evaluation?.grade_after ?? null;
  for (const [field, value] of [['grade_after', grade], ['grade_before', evaluation?.grade_before ?? null]] as const) {
    if (value !== null && !(GRADES as readonly string[]).includes(value)) warnings.push(`unexpected ${field} "${value}"`);
  }
  const progress = body.progress ?? null;
  return {
    warnings,
    snapshot: {
      status: body.status,
      grade,
      score: evaluation?.score_after ?? null,
      progressPercent: progress?.percent ?? null,
      details: {
        name: body.name ?? null,
        runId: body.run_id ?? null,
        rowCount: body.row_count ?? null,
        updatedAt: body.updated_at ?? null,
        errorMessage: body.error?.message ?? null,
        progress: progress && {
          percent: progress.percent ?? null,
          processedRows: progress.processed_rows ?? null,
          totalRows: progress.total_rows ?? null,
        },
        evaluation: evaluation && {
          gradeBefore: evaluation.grade_before ?? null,
          gradeAfter: evaluation.grade_after ?? null,
          scoreBefore: evaluation.score_before ?? null,
          scoreAfter: evaluation.score_after ?? null,
          improvementPercent: evaluation.improvement_percent ?? null,
        },
      },
    },
  };
}
