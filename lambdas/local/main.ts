import { ConfigError, loadEnv } from '../config';
import { consoleLogger } from './console-logger';
import { startLocalRuntime } from './runtime';
import { StartupError } from './startup';

/** `npm start`: the whole of Watchpost on one machine. */
async function main(): Promise<void> {
  // The SDK's notice that future releases need Node 22 is about this laptop's
  // Node, not about Watchpost (the Lambdas run Node 24); keep the console clean.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Everything written under the data directory (tokens, secrets' key, the
  // database files) is the owner's alone.
  process.umask(0o077);
  const env = loadEnv(process.env);
  const logger = consoleLogger(process.env.WATCHPOST_LOG_LEVEL === 'debug' ? 'debug' : 'info');
  const runtime = await startLocalRuntime({ env, logger });
  console.log(`Watchpost is running locally. Data: ${env.WATCHPOST_DATA_DIR}/ · events: ${runtime.eventsFile} · polling every ${runtime.pollIntervalSeconds} s. Ctrl-C stops.`);

  const stop = async (signal: string) => {
    console.log(`\n${signal}: stopping…`);
    await runtime.close();
    process.exitCode = 0;
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Known problems are one line that says what to do; anything else is a bug, with its stack.
  if (error instanceof ConfigError || error instanceof StartupError) console.error(`watchpost: ${error.message}`);
  else console.error(error);
  // Nothing is left running after a failed start, but a stray handle must not keep us alive.
  process.exit(1);
});
