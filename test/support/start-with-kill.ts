/**
 * `npm start` (lambdas/local/main.ts, unchanged) in a child process that
 * kills itself with SIGKILL at a chosen moment, for tests of what a kill
 * loses. Set in the environment:
 *
 * - WATCHPOST_TEST_KILL_AFTER_OUTBOX_CLEAR=1: the moment a published event's
 *   outbox entry has been cleared (before anything else runs).
 * - WATCHPOST_TEST_SLOW_DELIVERY_RECORDS_MS=N: each delivery record is
 *   written N ms late, which widens the gap a kill could fall into.
 */
import { DeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoPollStore } from '../../lambdas/adapters/dynamo/poll-store';

if (process.env.WATCHPOST_TEST_KILL_AFTER_OUTBOX_CLEAR === '1') {
  const clear = DynamoPollStore.prototype.clearOutbox;
  DynamoPollStore.prototype.clearOutbox = async function (this: DynamoPollStore, ...args: Parameters<typeof clear>) {
    await clear.apply(this, args);
    process.stdout.write(`killed after clearing the outbox of ${args[0]}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}

const slowMs = Number(process.env.WATCHPOST_TEST_SLOW_DELIVERY_RECORDS_MS ?? 0);
if (slowMs > 0) {
  const create = DeliveryStore.prototype.createIfAbsent;
  DeliveryStore.prototype.createIfAbsent = async function (this: DeliveryStore, ...args: Parameters<typeof create>) {
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return create.apply(this, args);
  };
}

await import('../../lambdas/local/main');
