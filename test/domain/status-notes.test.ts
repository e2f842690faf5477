import { describe, expect, it } from 'vitest';
import { AWAITING_INPUT_NOTE, EVALUATION_SKIPPED_NOTE, statusNotes } from '../../lambdas/domain/status-notes';
import type { Snapshot } from '../../lambdas/domain/snapshot';

const snapshot = (status: string, details: Record<string, unknown> = {}): Snapshot => ({ status, grade: null, score: null, progressPercent: null, details });

describe('status notes', () => {
  it.each([
    ['no state', null, []],
    ['a running dataset', snapshot('running'), []],
    ['a dataset awaiting input', snapshot('awaiting_input'), [AWAITING_INPUT_NOTE]],
    ['a succeeded run whose evaluation was skipped', snapshot('succeeded', { evaluationStatus: 'skipped' }), [EVALUATION_SKIPPED_NOTE]],
    ['a succeeded run whose evaluation is pending', snapshot('succeeded', { evaluationStatus: 'pending' }), []],
    ['both at once', snapshot('awaiting_input', { evaluationStatus: 'skipped' }), [AWAITING_INPUT_NOTE, EVALUATION_SKIPPED_NOTE]],
  ])('%s', (_name, current, notes) => {
    expect(statusNotes(current)).toEqual(notes);
  });
});
