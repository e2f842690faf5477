import { describe, expect, it } from 'vitest';
// Loaded at the top on purpose, for its side of the cache only: the modules below import it (see below).
import '../../lambdas/domain/event-schema';

/**
 * Values fixed when their module loads: the retry schedule, the disable
 * limit, the DeepOpinion response schemas. Other tests use them through the
 * code that reads them; these pin them directly.
 *
 * Each module is imported inside its test (once per file: a second import
 * would come from the cache), never at the top of this file nor through
 * anything imported there. Mutation testing activates a mutant once a test
 * file's own imports are done, so a value computed at load is only checked
 * against its mutants by a test during which its module loads (README,
 * Mutation testing). The event schemas, by contrast, are imported at the top:
 * they are static mutants, which the mutation run ignores, and a fresh load
 * inside a test here would hold them against tests that do not check them.
 */
describe('the retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then dead-letters the eighth failure', async () => {
    const { MAX_ATTEMPTS, RETRY_DELAYS_MS } = await import('../../lambdas/domain/delivery-schedule');

    expect(RETRY_DELAYS_MS).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(MAX_ATTEMPTS).toBe(8);
  });
});

describe('the disable limit', () => {
  it('is five days of deliveries failing without a break', async () => {
    const { DEFAULT_DISABLE_AFTER_MS } = await import('../../lambdas/delivery/delivery-service');

    expect(DEFAULT_DISABLE_AFTER_MS).toBe(432_000_000);
  });
});

describe('the DeepOpinion response schemas', () => {
  it('keep a correction session’s fields and its model’s, require an id and a status, and refuse an empty login token', async () => {
    const { CorrectionSessionResponseSchema, LoginResponseSchema } = await import('../../lambdas/adapters/upstream/deepopinion-schema');
    const body = { id: 7, status: 'SAMPLING', name: 'Q4 review', model: { id: 3, display_name: 'invoice-v2' }, progress: 40 };

    expect(CorrectionSessionResponseSchema.parse(body)).toEqual(body);
    expect(CorrectionSessionResponseSchema.safeParse({ status: 'SAMPLING' }).success).toBe(false);
    expect(CorrectionSessionResponseSchema.safeParse({ id: 7 }).success).toBe(false);
    expect(LoginResponseSchema.parse({ auth_token: 'tok_0123456789' })).toEqual({ auth_token: 'tok_0123456789' });
    expect(LoginResponseSchema.safeParse({ auth_token: '' }).success).toBe(false);
  });
});
