import { startSimulator } from './simulator/simulator';
import { StartupError } from './startup';

/** `npm run simulator`: the upstream simulator on its own, e.g. for manual testing. */
const port = Number(process.env.WATCHPOST_SIMULATOR_PORT ?? 8788);
const latencyMs = Number(process.env.WATCHPOST_SIMULATOR_LATENCY_MS ?? 0);

startSimulator({ port, latencyMs }).then(
  (simulator) => {
    console.log(`Upstream simulator listening on ${simulator.url} (control API under ${simulator.url}/_sim)`);
    process.once('SIGINT', () => void simulator.close());
    process.once('SIGTERM', () => void simulator.close());
  },
  (error: unknown) => {
    console.error(error instanceof StartupError ? `watchpost simulator: ${error.message}` : error);
    process.exit(1);
  },
);
