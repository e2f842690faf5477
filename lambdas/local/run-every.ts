/**
 * Runs `task` at a fixed rate: each run starts `intervalMs` after the previous
 * one started (at once if that moment has passed), never two at once. A slow
 * run therefore does not push every later run back, as a timeout chained
 * after each run would. Returns a function that stops it.
 */
export function runEvery(intervalMs: number, task: () => Promise<void>, clock: () => number = Date.now): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    const startedAt = clock();
    await task();
    if (stopped) return;
    timer = setTimeout(run, Math.max(0, startedAt + intervalMs - clock()));
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
