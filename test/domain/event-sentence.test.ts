import { describe, expect, it } from 'vitest';
import { eventSentence } from '../../lambdas/domain/event-sentence';

/** Events as the sentences the console shows. */
const changed = (...changes: Array<[string, string | number | null, string | number | null]>) => ({
  type: 'io.watchpost.resource.changed',
  data: { changes: changes.map(([field, from, to]) => ({ field, from, to })) },
});

describe('event sentences', () => {
  it.each([
    ['a run that finished with a worse grade', changed(['status', 'running', 'succeeded'], ['grade', 'A', 'C']), 'Run finished (running → succeeded): grade A → C'],
    ['a run that started', changed(['status', 'pending', 'running']), 'Run started (pending → running)'],
    ['a queued run', changed(['status', 'succeeded', 'pending']), 'Run queued (succeeded → pending)'],
    ['a run that failed', changed(['status', 'running', 'failed']), 'Run failed (running → failed)'],
    ['a dataset waiting for its owner', changed(['status', 'pending', 'awaiting_input']), 'Waiting for input (pending → awaiting_input)'],
    ['a cancelled run', changed(['status', 'running', 'cancelled']), 'Run cancelled (running → cancelled)'],
    ['a session being deleted', changed(['status', 'FINISHED', 'DELETING']), 'Being deleted (FINISHED → DELETING)'],
    ['a session predicting', changed(['status', 'STARTED', 'PREDICTING'], ['score', 70, 74]), 'Run started (STARTED → PREDICTING): score 70 → 74'],
    ['a status nobody knows yet', changed(['status', 'running', 'QUEUED_FOR_REVIEW']), 'Status running → QUEUED_FOR_REVIEW'],
    ['a grade appearing, with no status change', changed(['grade', null, 'B']), 'Changed: grade – → B'],
    ['no changes at all', changed(), 'Changed'],
    ['a gone resource', { type: 'io.watchpost.resource.gone', data: { changes: [] } }, 'Gone upstream: no longer exists'],
    ['failing checks', { type: 'io.watchpost.watch.failing', data: { changes: [], failure: { kind: 'timeout', message: 'x', consecutiveFailures: 5 } } }, 'Checks failing ×5: timeout'],
    ['failing with no failure detail', { type: 'io.watchpost.watch.failing', data: {} }, 'Checks failing ×?'],
    ['a stall', { type: 'io.watchpost.resource.stalled', data: { changes: [] } }, 'Stalled: no progress for a while'],
    ['a resumption', { type: 'io.watchpost.resource.resumed', data: { changes: [] } }, 'Moving again after a stall'],
    ['recovery', { type: 'io.watchpost.watch.recovered', data: { changes: [] } }, 'Checks working again'],
    ['a test', { type: 'io.watchpost.subscription.test', data: { changes: [] } }, 'Test notification'],
    ['an event type added later', { type: 'io.watchpost.watch.stalled', data: { changes: [] } }, 'watch.stalled'],
  ])('reads %s', (_what, event, sentence) => {
    expect(eventSentence(event)).toBe(sentence);
  });
});
