import { describe, expect, it } from 'vitest';
import { boundSnapshot, cutText, diffSnapshots, TEXT_LIMITS, type Snapshot } from '../../lambdas/domain/snapshot';

const snapshot = (fields: Partial<Snapshot> = {}): Snapshot => ({ status: 'running', grade: null, score: null, progressPercent: null, details: {}, ...fields });

describe('cutText', () => {
  it('leaves text at the limit as it is and cuts one character more, ending in an ellipsis', () => {
    expect(cutText('abcde', 5)).toBe('abcde');
    expect(cutText('abcdef', 5)).toBe('abcd…');
    expect(cutText('abcdef', 5)).toHaveLength(5);
  });
});

describe('boundSnapshot', () => {
  it('cuts status, grade and every detail string to their documented lengths', () => {
    const bounded = boundSnapshot(
      snapshot({
        status: 's'.repeat(100),
        grade: 'g'.repeat(100),
        score: 0.5,
        progressPercent: 40,
        details: { name: 'n'.repeat(1000), evaluation: { note: 'e'.repeat(1000), score: 3 }, tags: ['t'.repeat(300)], runId: null },
      }),
    );

    expect(bounded.status).toHaveLength(TEXT_LIMITS.status);
    expect(bounded.grade).toHaveLength(TEXT_LIMITS.grade);
    expect(bounded.details.name).toHaveLength(TEXT_LIMITS.detail);
    expect((bounded.details.evaluation as { note: string }).note).toHaveLength(TEXT_LIMITS.detail);
    expect((bounded.details.tags as string[])[0]).toHaveLength(TEXT_LIMITS.detail);
    expect(bounded).toMatchObject({ score: 0.5, progressPercent: 40, details: { evaluation: { score: 3 }, runId: null } });
    expect(TEXT_LIMITS).toEqual({ status: 64, grade: 16, detail: 256 });
  });

  it('keeps at most 20 items of a list, and a null grade null', () => {
    const bounded = boundSnapshot(snapshot({ details: { items: Array.from({ length: 50 }, (_, i) => i) } }));

    expect(bounded.details.items).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(bounded.grade).toBeNull();
  });

  it('changes nothing in a snapshot that is within the limits', () => {
    const small = snapshot({ status: 'succeeded', grade: 'A', score: 0.9, details: { name: 'Support tickets', nested: { a: 'b' } } });

    expect(boundSnapshot(small)).toEqual(small);
  });
});

describe('diffSnapshots', () => {
  it('reports only the tracked fields that changed, in status, grade, score order', () => {
    const before = snapshot({ status: 'running', grade: null, score: 1 });
    const after = snapshot({ status: 'succeeded', grade: 'B', score: 2, progressPercent: 100 });

    expect(diffSnapshots(before, after, ['score', 'grade', 'status'])).toEqual([
      { field: 'status', from: 'running', to: 'succeeded' },
      { field: 'grade', from: null, to: 'B' },
      { field: 'score', from: 1, to: 2 },
    ]);
    expect(diffSnapshots(before, after, ['grade'])).toEqual([{ field: 'grade', from: null, to: 'B' }]);
    expect(diffSnapshots(before, before, ['status', 'grade', 'score'])).toEqual([]);
  });
});
