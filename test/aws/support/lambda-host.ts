import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, type Assembly } from './assembly';
import { DUMMY_CREDENTIALS, type Stack } from './provision';

/** The Lambda runtime's Node.js (CI fetches it; see .ci/run). */
export const NODE24 = join(ROOT, 'node_modules/.cache/node24/package/bin/node');
const BOOTSTRAP = join(import.meta.dirname, 'lambda-bootstrap.cjs');

export interface InvokeResult<T = unknown> {
  /** What the handler returned (undefined on an error or a timeout). */
  result?: T;
  /** The function error, as Lambda reports it (`errorType`, `errorMessage`). */
  error?: { errorType: string; errorMessage: string; stack: string[] };
  timedOut: boolean;
  durationMs: number;
  /** The environment was started for this invocation (a cold start), with its init time. */
  initMs?: number;
}

export interface LambdaFunctionOptions {
  /** Variables to put in place of the template's, e.g. an upstream's base URL; each must be one the template declares. */
  override?: Record<string, string>;
  /** Variables the template does not declare, e.g. a test seam. */
  extra?: Record<string, string>;
}

/**
 * One function of the template, run as Lambda would run it: its bundle in
 * Node 24, `index.handler` from `LAMBDA_TASK_ROOT`, the environment its
 * resource declares (resolved to what moto created) plus what Lambda itself
 * sets, AWS endpoints pointed at moto, and its timeout as a hard limit (the
 * environment is killed, and the next invocation starts a fresh one).
 * Environments are kept warm between invocations, as Lambda does, and a new
 * one starts whenever an invocation finds none idle (concurrent invocations
 * run in environments of their own).
 */
export class LambdaFunction {
  readonly name: string;
  readonly arn: string;
  readonly timeoutMs: number;
  readonly environment: Record<string, string>;
  /** Everything the function wrote to stdout and stderr (its logs), all environments together. */
  readonly logs: string[] = [];
  /** Environments waiting for an invocation; one is started whenever none is idle (Lambda scales out). */
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly all = new Set<ExecutionEnvironment>();
  /** Environments started so far (cold starts). */
  coldStarts = 0;

  constructor(
    readonly logicalId: string,
    assembly: Assembly,
    stack: Stack,
    endpoint: string,
    options: LambdaFunctionOptions = {},
  ) {
    const properties = assembly.resource(logicalId).Properties ?? {};
    const created = stack.resources.get(logicalId);
    if (!created) throw new Error(`${logicalId} is not a function of this stack`);
    this.name = created.ref;
    this.arn = created.attributes.Arn as string;
    this.timeoutMs = Number(properties.Timeout ?? 3) * 1000;
    const declared = stack.functionEnvironment(logicalId);
    for (const key of Object.keys(options.override ?? {})) {
      if (!(key in declared)) throw new Error(`${logicalId}: the template declares no ${key} to override`);
    }
    const taskRoot = assembly.assetDir(logicalId);
    if (!['index.js', 'index.mjs', 'index.cjs'].some((file) => existsSync(join(taskRoot, file)))) throw new Error(`${logicalId}: no index.js or index.mjs in ${taskRoot}`);
    this.environment = {
      // What Lambda sets in every Node.js environment.
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      _HANDLER: String(properties.Handler ?? 'index.handler'),
      LAMBDA_TASK_ROOT: taskRoot,
      // The runtime's own SDK lives on Lambda's NODE_PATH; here, the project's copy of it.
      NODE_PATH: join(ROOT, 'node_modules'),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: this.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(properties.MemorySize ?? 128),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${this.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      ...((properties.LoggingConfig as { LogFormat?: string } | undefined)?.LogFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON' } : {}),
      AWS_REGION: stack.region,
      AWS_DEFAULT_REGION: stack.region,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: DUMMY_CREDENTIALS.sessionToken,
      // Not Lambda: every AWS client of the bundle talks to moto.
      AWS_ENDPOINT_URL: endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...declared,
      ...(options.override ?? {}),
      ...(options.extra ?? {}),
    };
    // Lambda's Runtime API is not served here (the parent hands invocations over IPC), so
    // AWS_LAMBDA_RUNTIME_API is the one variable every real Lambda has that these lack.
  }

  /** Invokes the handler with `event` in an idle environment (or a new one); never rejects on a function failure. */
  async invoke<T = unknown>(event: unknown): Promise<InvokeResult<T>> {
    let environment = this.idle.pop();
    let initMs: number | undefined;
    if (!environment) {
      environment = new ExecutionEnvironment(this.logicalId, this.environment, this.timeoutMs, this.arn, this.logs);
      this.all.add(environment);
      this.coldStarts += 1;
      try {
        initMs = await environment.ready;
      } catch (error) {
        this.all.delete(environment);
        // An init error is the invocation's error, as Lambda reports it.
        return { error: { errorType: 'Runtime.InitError', errorMessage: error instanceof Error ? error.message : String(error), stack: [] }, timedOut: false, durationMs: 0 };
      }
    }
    const outcome = await environment.invoke<T>(event);
    if (environment.alive) this.idle.push(environment);
    else this.all.delete(environment);
    return initMs === undefined ? outcome : { ...outcome, initMs };
  }

  /** Invokes and returns the result, throwing on a function error or timeout. */
  async call<T = unknown>(event: unknown): Promise<T> {
    const outcome = await this.invoke<T>(event);
    if (outcome.timedOut) throw new Error(`${this.logicalId} timed out after ${this.timeoutMs} ms\n${this.recentLogs()}`);
    if (outcome.error) throw new Error(`${this.logicalId} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}\n${outcome.error.stack.join('\n')}\n${this.recentLogs()}`);
    return outcome.result as T;
  }

  recentLogs(lines = 20): string {
    return this.logs.join('').split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    const environments = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(environments.map((environment) => environment.stop()));
  }
}

/** One execution environment: a Node 24 process that loaded the bundle and runs one invocation at a time. */
class ExecutionEnvironment {
  readonly ready: Promise<number>;
  private readonly child: ChildProcess;
  alive = true;

  constructor(
    private readonly logicalId: string,
    environment: Record<string, string>,
    private readonly timeoutMs: number,
    private readonly arn: string,
    private readonly logs: string[],
  ) {
    const child = fork(BOOTSTRAP, [], { execPath: NODE24, env: environment, cwd: environment.LAMBDA_TASK_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    child.once('exit', () => {
      this.alive = false;
    });
    this.ready = new Promise<number>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${logicalId}: the environment exited with ${code} before it was ready\n${this.recent()}`));
      child.once('exit', onExit);
      child.once('message', (message: { type: string; initMs?: number; error?: { errorType: string; errorMessage: string } }) => {
        child.off('exit', onExit);
        if (message.type === 'ready') resolve(message.initMs ?? 0);
        else reject(new Error(`${logicalId}: init error ${message.error?.errorType}: ${message.error?.errorMessage}\n${this.recent()}`));
      });
    });
  }

  private recent(): string {
    return this.logs.join('').split('\n').slice(-20).join('\n');
  }

  invoke<T>(event: unknown): Promise<InvokeResult<T>> {
    const child = this.child;
    const requestId = randomUUID();
    const started = performance.now();
    const deadline = Date.now() + this.timeoutMs;
    return new Promise<InvokeResult<T>>((resolve) => {
      const done = (outcome: Omit<InvokeResult<T>, 'durationMs' | 'initMs'>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve({ ...outcome, durationMs: Math.round(performance.now() - started) });
      };
      const onMessage = (message: { type: string; requestId?: string; result?: T; error?: InvokeResult['error'] }) => {
        if (message.requestId !== requestId) return;
        if (message.type === 'result') done({ result: message.result as T, timedOut: false });
        else done({ error: message.error as InvokeResult['error'], timedOut: false });
      };
      const onExit = (code: number | null, signal: string | null) => {
        done({ error: { errorType: 'Runtime.ExitError', errorMessage: `the environment exited (${code ?? signal}) during the invocation`, stack: [] }, timedOut: false });
      };
      // The hard limit: Lambda stops a timed-out invocation and discards its environment.
      const timer = setTimeout(() => {
        this.alive = false;
        child.off('exit', onExit);
        child.kill('SIGKILL');
        this.logs.push(`${this.logicalId}: Task timed out after ${(this.timeoutMs / 1000).toFixed(2)} seconds\n`);
        done({ timedOut: true });
      }, this.timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'invoke', requestId, functionArn: this.arn, deadline, event });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
