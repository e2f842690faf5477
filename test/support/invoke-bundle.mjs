// Loads one synthesized Lambda bundle the way the Node.js runtime does (a plain
// ES module import of the handler's file, no test runner or loader around it),
// then calls its handler with each event in turn, one warm container.
//
//   node invoke-bundle.mjs <task root> <handler, e.g. index.handler> <events.json> <results.json>
//
// Exit 2: the module failed to load; 3: the handler export is missing. A handler
// that throws is recorded in the results (as `error`), and the others still run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerSetting, eventsFile, resultsFile] = process.argv.slice(2);
const dot = handlerSetting.lastIndexOf('.');
const moduleName = handlerSetting.slice(0, dot);
const exportName = handlerSetting.slice(dot + 1);
// The runtime's order of extensions for handler "index.handler".
const file = ['.js', '.mjs', '.cjs'].map((extension) => join(taskRoot, moduleName + extension)).find((candidate) => existsSync(candidate));

let loaded;
try {
  if (!file) throw new Error(`no ${moduleName}.js, .mjs or .cjs in ${taskRoot}`);
  const started = performance.now();
  loaded = await import(pathToFileURL(file).href);
  process.stderr.write(`loaded ${file} in ${Math.round(performance.now() - started)} ms\n`);
} catch (error) {
  process.stderr.write(`Runtime.ImportModuleError: ${error?.stack ?? error}\n`);
  process.exit(2);
}
const handler = loaded[exportName];
if (typeof handler !== 'function') {
  process.stderr.write(`Runtime.HandlerNotFound: ${handlerSetting} is undefined or not exported\n`);
  process.exit(3);
}

const deadline = Date.now() + Number(process.env.WATCHPOST_TEST_FUNCTION_TIMEOUT_MS ?? 30_000);
const results = [];
let request = 0;
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  request += 1;
  const context = {
    awsRequestId: `request-${request}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    results.push({ value: (await handler(event, context)) ?? null });
  } catch (error) {
    results.push({ error: String(error?.stack ?? error) });
  }
}
writeFileSync(resultsFile, JSON.stringify(results));
process.exit(0);
