import { z } from 'zod';
import type { Mapped } from './adaption-schema';

/**
 * DeepOpinion `GET /projects/{p}/corrections/{c}`, read tolerantly (see
 * adaption-schema.ts). `finished` is absent or null while a session runs.
 */
export const CorrectionSessionResponseSchema = z.object({
  id: z.number().int(),
  uuid: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  created: z.string().nullish(),
  finished: z.string().nullish(),
  document_count: z.number().nullish(),
  project_id: z.number().nullish(),
  progress: z.number().nullish(),
  model: z.object({ id: z.number().nullish(), display_name: z.string().nullish() }).nullish(),
  status: z.string(),
  mode: z.string().nullish(),
  type: z.string().nullish(),
  predicted_score: z.number().nullish(),
});
export type CorrectionSessionResponse = z.infer<typeof CorrectionSessionResponseSchema>;

export const CORRECTION_STATUSES = ['CREATED', 'STARTED', 'ANNOTATING', 'FAILED', 'FINISHED', 'SAMPLING', 'PREDICTING', 'DELETING'] as const;

export const LoginResponseSchema = z.object({ auth_token: z.string().min(1) });

export function correctionSnapshot(body: CorrectionSessionResponse): Mapped {
  const warnings = (CORRECTION_STATUSES as readonly string[]).includes(body.status)
    ? []
    : [`unknown correction session status "${body.status}"`];
  return {
    warnings,
    snapshot: {
      status: body.status,
      // Correction sessions have no letter grade; their score is the projected one.
      grade: null,
      score: body.predicted_score ?? null,
      progressPercent: body.progress ?? null,
      details: {
        name: body.name ?? null,
        uuid: body.uuid ?? null,
        type: body.type ?? null,
        documentCount: body.document_count ?? null,
        modelName: body.model?.display_name ?? null,
        created: body.created ?? null,
        finished: body.finished ?? null,
      },
    },
  };
}
