import type { Snapshot } from './snapshot';

/**
 * Plain-language notes on states whose name alone does not say what a team
 * should do (upstream-apis.md), for email and Slack texts. Webhook receivers
 * get the same facts as data (`current.status`, `current.details.evaluationStatus`).
 */
export const AWAITING_INPUT_NOTE = 'Waiting for its owner to start adaptation: it will not progress on its own.';
export const EVALUATION_SKIPPED_NOTE = 'Evaluation skipped: no grade is coming for this run.';

export function statusNotes(current: Snapshot | null): string[] {
  if (current === null) return [];
  const notes: string[] = [];
  if (current.status === 'awaiting_input') notes.push(AWAITING_INPUT_NOTE);
  if (current.details.evaluationStatus === 'skipped') notes.push(EVALUATION_SKIPPED_NOTE);
  return notes;
}
