/**
 * Resource records in the providers' own wire shape, and the realistic
 * lifecycles the simulator walks them through.
 */
export type DatasetRecord = Record<string, unknown> & { dataset_id: string; status: string };
export type CorrectionRecord = Record<string, unknown> & { id: number; project_id: number; status: string };

export function newDataset(datasetId: string, nowIso: string, overrides: Record<string, unknown> = {}): DatasetRecord {
  return {
    dataset_id: datasetId,
    name: `Dataset ${datasetId}`,
    created_at: nowIso,
    updated_at: nowIso,
    row_count: 1200,
    run_id: `run_${datasetId}_1`,
    status: 'pending',
    configured_column_mapping: { prompt: 'prompt', completion: 'completion', chat: 'chat', context: [] },
    error_data: null,
    progress: null,
    evaluation_summary: null,
    kind: 'uploaded',
    source_dataset_id: null,
    created_by_user_id: 'usr_simulator',
    image_column_formats: null,
    description: null,
    ...overrides,
  };
}

/**
 * How each endpoint shows a dataset record, as the published documents have
 * it (upstream-apis.md; test/contracts holds the same shapes as fixtures).
 * A record may carry `evaluation_status` (e.g. `skipped`), which only the
 * evaluation endpoint shows.
 */
const SINGLE_GET_FIELDS = [
  'dataset_id', 'name', 'created_at', 'updated_at', 'row_count', 'run_id', 'status', 'configured_column_mapping',
  'error', 'error_data', 'progress', 'evaluation_summary', 'kind', 'source_dataset_id', 'created_by_user_id', 'image_column_formats',
] as const;

function pick(record: DatasetRecord, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => field in record).map((field) => [field, record[field]]));
}

/** `GET /api/v1/datasets/{id}`: its status vocabulary has no `awaiting_input`; such a dataset shows as `pending`. */
export function singleGetView(record: DatasetRecord): Record<string, unknown> {
  return { ...pick(record, SINGLE_GET_FIELDS), status: record.status === 'awaiting_input' ? 'pending' : record.status };
}

/** An entry of `GET /api/v1/datasets`: no evaluation, no progress. */
export function listEntryView(record: DatasetRecord): Record<string, unknown> {
  return pick(record, ['dataset_id', 'status', 'updated_at', 'created_at', 'name', 'row_count', 'description']);
}

/** `GET /api/v1/datasets/{id}/status`. */
export function statusView(record: DatasetRecord): Record<string, unknown> {
  return {
    dataset_id: record.dataset_id,
    status: record.status,
    row_count: record.row_count ?? null,
    progress: record.progress ?? null,
    error_data: record.error_data ?? (record.error ? { message: (record.error as { message?: string }).message ?? '', code: 'E0000', level: 'error' } : null),
  };
}

/** `GET /api/v1/datasets/{id}/evaluation`: the summary's grades and scores as `quality`, once there is one. */
export function evaluationView(record: DatasetRecord): Record<string, unknown> {
  const summary = record.evaluation_summary as Record<string, unknown> | null | undefined;
  const done = record.status === 'succeeded' && summary;
  const status = typeof record.evaluation_status === 'string' ? record.evaluation_status : done ? 'succeeded' : record.status === 'failed' ? 'failed' : 'pending';
  const quality = status === 'succeeded' && summary
    ? {
        grade_before: summary.grade_before ?? null,
        grade_after: summary.grade_after ?? null,
        score_before: summary.score_before ?? null,
        score_after: summary.score_after ?? null,
        percentile_after: null,
        improvement_percent: summary.improvement_percent ?? null,
      }
    : null;
  return { dataset_id: record.dataset_id, status, quality, raw_results: null };
}

export function newCorrection(projectId: number, correctionId: number, nowIso: string, overrides: Record<string, unknown> = {}): CorrectionRecord {
  return {
    id: correctionId,
    uuid: `00000000-0000-4000-8000-${String(projectId * 100_000 + correctionId).padStart(12, '0')}`,
    name: `Correction session ${correctionId}`,
    description: 'Simulated correction session',
    created: nowIso,
    finished: null,
    document_count: 100,
    document_group_id: 1,
    organization_id: 1,
    user_id: 1,
    project_id: projectId,
    progress: 0,
    model: { id: 1, display_name: 'Simulated model' },
    status: 'CREATED',
    mode: 'CORRECTION',
    type: 'CLASS',
    classes: ['Comfort'],
    labels: ['POS'],
    predicted_score: 0,
    ...overrides,
  };
}

/** The grades successive successful runs arrive at: better, better, then worse. */
const GRADES_BY_SUCCESSFUL_RUN = ['B', 'A', 'C'];

function runNumber(record: DatasetRecord): number {
  return Number(String(record.run_id ?? '').split('_').pop()) || 1;
}

/**
 * pending → running (0%) → running (50%) → an outcome: odd runs succeed with
 * an evaluation (run 1 brings the first grade, D → B), even runs fail with an
 * error (the previous evaluation stays, as upstream keeps it until a new one
 * completes). A finished dataset is run again: new run id, back to pending.
 * A dataset awaiting input stays so (it "will not progress on its own").
 */
export function advanceDataset(record: DatasetRecord, nowIso: string): DatasetRecord {
  const rows = Number(record.row_count ?? 1000);
  const next: DatasetRecord = { ...record, updated_at: nowIso };
  const percent = (record.progress as { percent?: number } | null)?.percent ?? 0;
  const run = runNumber(record);
  switch (record.status) {
    case 'pending':
      return { ...next, status: 'running', error_data: null, progress: { percent: 0, processed_rows: 0, total_rows: rows } };
    case 'running': {
      if (percent < 50) return { ...next, progress: { percent: 50, processed_rows: Math.floor(rows / 2), total_rows: rows } };
      if (run % 2 === 0) {
        return { ...next, status: 'failed', progress: null, error_data: { message: `Run ${run} failed: 12 rows have an empty completion column`, code: 'E0100', level: 'error' } };
      }
      const previous = (record.evaluation_summary as { grade_after?: string } | null)?.grade_after ?? 'D';
      const grade = GRADES_BY_SUCCESSFUL_RUN[((run - 1) / 2) % GRADES_BY_SUCCESSFUL_RUN.length] as string;
      const scores: Record<string, number> = { A: 0.92, B: 0.81, C: 0.68, D: 0.52, E: 0.35 };
      const before = scores[previous] ?? 0.5;
      const after = scores[grade] ?? 0.5;
      return {
        ...next,
        status: 'succeeded',
        progress: null,
        evaluation_summary: {
          grade_before: previous,
          grade_after: grade,
          score_before: before,
          score_after: after,
          improvement_percent: Math.round(((after - before) / before) * 1000) / 10,
        },
      };
    }
    case 'succeeded':
    case 'failed':
      return { ...next, status: 'pending', error_data: null, run_id: `run_${record.dataset_id}_${run + 1}` };
    default:
      return record;
  }
}

const CORRECTION_STEPS = ['CREATED', 'SAMPLING', 'PREDICTING', 'ANNOTATING', 'FINISHED'];

/** CREATED → SAMPLING → PREDICTING → ANNOTATING → FINISHED. */
export function advanceCorrection(record: CorrectionRecord, nowIso: string): CorrectionRecord {
  const index = CORRECTION_STEPS.indexOf(record.status);
  if (index < 0 || index === CORRECTION_STEPS.length - 1) return record;
  const status = CORRECTION_STEPS[index + 1] as string;
  const progress = Math.round(((index + 1) / (CORRECTION_STEPS.length - 1)) * 1000) / 10;
  return {
    ...record,
    status,
    progress,
    ...(status === 'FINISHED' ? { finished: nowIso, predicted_score: 87 } : {}),
  };
}
