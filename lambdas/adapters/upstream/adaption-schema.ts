import { z } from 'zod';
import { GRADES, type Snapshot } from '../../domain/snapshot';

/**
 * Adaption Labs `GET /api/v1/datasets/{id}`, read tolerantly: unknown fields
 * are dropped (the published spec has grown `kind`, `source_dataset_id`,
 * `created_by_user_id`, `image_column_formats` beyond the seed page),
 * documented-nullable fields accept null or absence, but the fields Watchpost
 * acts on (`status`, the grades, the scores) must have the documented type or
 * the whole response is rejected. A failure comes as the published
 * `error_data {message, code, level}` or as the seed page's `error {message}`.
 */
const nullableNumber = z.number().nullish();
const nullableString = z.string().nullish();

const ErrorDataSchema = z.object({ message: nullableString, code: nullableString, level: nullableString }).nullish();
const ProgressSchema = z.object({ percent: nullableNumber, processed_rows: nullableNumber, total_rows: nullableNumber }).nullish();

export const DatasetResponseSchema = z.object({
  dataset_id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  run_id: z.string().nullish(),
  row_count: nullableNumber,
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  kind: nullableString,
  error: z.object({ message: nullableString }).nullish(),
  error_data: ErrorDataSchema,
  progress: ProgressSchema,
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

/**
 * One page of `GET /api/v1/datasets`, as the published OpenAPI document has
 * it: the entries under `datasets` (some third-party specs say `data`; they
 * are wrong), `next_cursor` null or absent on the last page. Entries carry no
 * evaluation or progress, and speak the status endpoint's vocabulary
 * (`awaiting_input` included).
 */
export const DatasetListPageSchema = z.object({
  datasets: z.array(z.object({ dataset_id: z.string(), status: z.string(), updated_at: nullableString })),
  next_cursor: nullableString,
});

/** `GET /api/v1/datasets/{id}/status`: the status in full (with `awaiting_input`), no grade. */
export const DatasetStatusResponseSchema = z.object({
  dataset_id: z.string(),
  status: z.string(),
  row_count: nullableNumber,
  progress: ProgressSchema,
  error_data: ErrorDataSchema,
});
export type DatasetStatusResponse = z.infer<typeof DatasetStatusResponseSchema>;

/** `GET /api/v1/datasets/{id}/evaluation`: only its `status` is used (`skipped`: no grade will come for this run). */
export const DatasetEvaluationResponseSchema = z.object({
  dataset_id: z.string(),
  status: z.string(),
});
export type DatasetEvaluationResponse = z.infer<typeof DatasetEvaluationResponseSchema>;

/** The status endpoint's (and the list's) statuses; the single GET knows all but `awaiting_input`. */
export const DATASET_STATUSES = ['pending', 'running', 'awaiting_input', 'succeeded', 'failed'] as const;

/**
 * The single GET's `pending` is also how a dataset that waits for its owner
 * shows there (`awaiting_input` is not in its vocabulary), so a `pending`
 * answer is completed by `GET …/status`. Its other statuses mean the same in
 * both vocabularies and are taken as they are.
 */
export const AMBIGUOUS_SINGLE_GET_STATUS = 'pending';

/** The evaluation is asked for only when a succeeded run has no summary yet: it says whether a grade is still coming. */
export function needsEvaluationStatus(body: DatasetResponse, status: string): boolean {
  return status === 'succeeded' && (body.evaluation_summary ?? null) === null;
}

export const EVALUATION_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped'] as const;

export interface Mapped {
  snapshot: Snapshot;
  /** Tolerated surprises (a new status, an odd grade) worth a log line. */
  warnings: string[];
}

/**
 * A dataset's snapshot. The rule on every path (sweep, single GET,
 * registration): the status is the status endpoint's whenever it was asked
 * (see AMBIGUOUS_SINGLE_GET_STATUS), otherwise the single GET's; grade,
 * scores and details are the single GET's; the evaluation endpoint adds only
 * whether a grade is still coming.
 */
export function datasetSnapshot(body: DatasetResponse, extra: { status?: DatasetStatusResponse; evaluation?: DatasetEvaluationResponse | null } = {}): Mapped {
  const warnings: string[] = [];
  const status = extra.status?.status ?? body.status;
  if (!(DATASET_STATUSES as readonly string[]).includes(status)) {
    warnings.push(`unknown dataset status "${status}"`);
  }
  const evaluationStatus = extra.evaluation?.status ?? null;
  if (evaluationStatus !== null && !(EVALUATION_STATUSES as readonly string[]).includes(evaluationStatus)) {
    warnings.push(`unknown evaluation status "${evaluationStatus}"`);
  }
  const error = body.error_data ?? body.error ?? null;
  const evaluation = body.evaluation_summary ?? null;
  const grade = evaluation?.grade_after ?? null;
  for (const [field, value] of [['grade_after', grade], ['grade_before', evaluation?.grade_before ?? null]] as const) {
    if (value !== null && !(GRADES as readonly string[]).includes(value)) warnings.push(`unexpected ${field} "${value}"`);
  }
  const progress = body.progress ?? null;
  return {
    warnings,
    snapshot: {
      status,
      grade,
      score: evaluation?.score_after ?? null,
      progressPercent: progress?.percent ?? null,
      details: {
        name: body.name ?? null,
        runId: body.run_id ?? null,
        rowCount: body.row_count ?? null,
        updatedAt: body.updated_at ?? null,
        kind: body.kind ?? null,
        errorMessage: error?.message ?? null,
        errorCode: (error && 'code' in error ? error.code : null) ?? null,
        errorLevel: (error && 'level' in error ? error.level : null) ?? null,
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
        // `skipped`: this run will bring no grade. Null when the evaluation was not asked.
        evaluationStatus,
      },
    },
  };
}
