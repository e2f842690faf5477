/**
 * AutoScientist training runs in the provider's wire shape (upstream-apis.md),
 * and the lifecycle the simulator walks them through.
 */
export type RunRecord = Record<string, unknown> & { id: string; status: string };

/** How a simulated run ends: the simulator's own choice, never served. */
export type RunEnding = 'succeeded' | 'failed' | 'cancelled';

export function newRun(runId: string, nowIso: string, overrides: Record<string, unknown> = {}): RunRecord {
  return {
    id: runId,
    dataset_id: 'ds_demo_1',
    model: 'llama-3.1-8b-instruct',
    status: 'pending',
    created_at: nowIso,
    completed_at: null,
    iterations_completed: 0,
    max_iterations: 3,
    target_win_rate: 0.8,
    best_win_rate: null,
    training_method: 'instruction',
    download_available: false,
    error: null,
    ...overrides,
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * The best win rate after `iterations` of `max`: climbs from 0.5 to just
 * past the target (target + 0.02) at the last iteration, so a run that
 * succeeds does so by beating its target.
 */
export function winRateAfter(iterations: number, max: number, target: number): number {
  const top = Math.min(0.99, target + 0.02);
  return round2(0.5 + ((top - 0.5) * Math.min(iterations, max)) / Math.max(1, max));
}

/**
 * pending → running (0 iterations) → one iteration per step, the best win
 * rate improving each time → the ending: `succeeded` after the last
 * iteration (download ready), `failed` half-way (with an error), or
 * `cancelled` after the first iteration. Terminal runs stay as they are.
 */
export function advanceRun(record: RunRecord, nowIso: string, ending: RunEnding = 'succeeded'): RunRecord {
  const max = Number(record.max_iterations ?? 3) || 3;
  const target = Number(record.target_win_rate ?? 0.8);
  const done = Number(record.iterations_completed ?? 0);
  switch (record.status) {
    case 'pending':
      return { ...record, status: 'running', iterations_completed: 0 };
    case 'running': {
      if (ending === 'failed' && done >= Math.ceil(max / 2)) {
        return { ...record, status: 'failed', completed_at: nowIso, error: `Iteration ${done + 1} of ${max} failed: the evaluator ran out of GPU memory` };
      }
      if (ending === 'cancelled' && done >= 1) return { ...record, status: 'cancelled', completed_at: nowIso };
      if (done >= max) return { ...record, status: 'succeeded', completed_at: nowIso, download_available: true };
      return { ...record, iterations_completed: done + 1, best_win_rate: winRateAfter(done + 1, max, target) };
    }
    default:
      return record;
  }
}
