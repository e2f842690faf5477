// The inside of one emulated Lambda execution environment, run by Node 24 as
// a process of its own. It loads the function's bundle the way the Node.js
// runtime does (LAMBDA_TASK_ROOT + _HANDLER), reports an error at load as an
// init error, then runs one invocation at a time as the parent sends them
// over IPC. The parent enforces the function's timeout by killing this
// process, as Lambda ends a timed-out environment.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const url = require('node:url');

const [file, name] = (() => {
  const handler = process.env._HANDLER || 'index.handler';
  const dot = handler.lastIndexOf('.');
  return [handler.slice(0, dot), handler.slice(dot + 1)];
})();

function describe(error) {
  return error instanceof Error
    ? { errorType: error.name, errorMessage: error.message, stack: String(error.stack || '').split('\n') }
    : { errorType: typeof error, errorMessage: String(error), stack: [] };
}

// As the Node.js runtime looks for the handler's file: .js (CommonJS here: no package.json
// says otherwise in the task root), then .mjs (an ES module), then .cjs.
async function load() {
  const base = path.join(process.env.LAMBDA_TASK_ROOT, file);
  for (const extension of ['.js', '.mjs', '.cjs']) {
    if (!fs.existsSync(base + extension)) continue;
    return extension === '.mjs' ? import(url.pathToFileURL(base + extension).href) : require(base + extension);
  }
  throw Object.assign(new Error(`Cannot find module '${file}'`), { name: 'Runtime.ImportModuleError' });
}

let handler;
const started = process.hrtime.bigint();
load().then(
  (exports) => {
    handler = exports[name];
    if (typeof handler !== 'function') throw Object.assign(new Error(`${file}.${name} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
    process.send({ type: 'ready', initMs: Number(process.hrtime.bigint() - started) / 1e6 });
  },
).catch((error) => process.send({ type: 'init-error', error: describe(error) }, () => process.exit(1)));

process.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const deadline = message.deadline;
  const context = {
    awsRequestId: message.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: 'result', requestId: message.requestId, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ type: 'error', requestId: message.requestId, error: describe(error) });
  }
});
