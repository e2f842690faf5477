import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, type ILocalBundling } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { buildSync, formatMessagesSync, type BuildOptions, type Message } from 'esbuild';

export interface NodeFunctionProps {
  /** Handler file under `lambdas/`, e.g. `poller/handler.ts`. */
  readonly entry: string;
  /** Powertools service name, also the log group's suffix. */
  readonly serviceName: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
  readonly description?: string;
  /** Commands run after esbuild, locally, to add files to the bundle (`outputDir` is its root). */
  readonly afterBundling?: (inputDir: string, outputDir: string) => string[];
}

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The bundle's file: `index.mjs`, which the Node.js runtime loads as an ES module for handler `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * esbuild's options for one function. An ES module, as the sources are and as
 * the tests run them (package.json `"type": "module"`): `import.meta` and
 * top-level await keep their meaning in the deployed bundle, where a CommonJS
 * bundle would turn `import.meta` into `{}`. The banner gives the CommonJS
 * dependencies bundled in it the `require` they expect for Node's built-ins.
 */
export function bundleOptions(entryFile: string, outdir: string): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entryFile],
    outfile: join(outdir, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    banner: { js: "import { createRequire as __watchpostCreateRequire } from 'node:module'; const require = __watchpostCreateRequire(import.meta.url);" },
    // Nothing external, the AWS SDK included: the deployed clients are the lockfile's, the
    // versions the tests ran, not whichever copy the runtime ships (see the README's cold-start table).
    external: [],
    logLevel: 'silent',
  };
}

/** Bundles one function's entry file; any esbuild warning fails the bundling, printed as esbuild prints it. */
export function bundleFunction(entryFile: string, outdir: string): void {
  const result = buildSync(bundleOptions(entryFile, outdir));
  const warnings: Message[] = result.warnings;
  if (warnings.length > 0) {
    const text = formatMessagesSync(warnings, { kind: 'warning', color: false }).join('');
    throw new Error(`esbuild warned while bundling ${entryFile} (warnings fail bundling):\n${text}`);
  }
}

/**
 * Bundles on this machine. Its fields are part of CDK's asset cache key
 * (which serializes the bundling options): without the entry in them, every
 * function would share the first one's bundle.
 */
class LocalEsbuild implements ILocalBundling {
  constructor(
    readonly entry: string,
    private readonly afterBundling: NodeFunctionProps['afterBundling'],
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(join(PROJECT_ROOT, 'lambdas', this.entry), outputDir);
    for (const command of this.afterBundling?.(PROJECT_ROOT, outputDir) ?? []) {
      execFileSync('bash', ['-c', command], { stdio: ['ignore', process.stderr, 'inherit'] });
    }
    return true;
  }
}

/**
 * Watchpost's Lambda defaults in one place: Node.js 24 on arm64, bundled
 * locally by esbuild (no Docker) as an ES module, JSON logs with a retention,
 * X-Ray tracing, and the Powertools service name.
 *
 * Bundled here with esbuild's API rather than by NodejsFunction: its CLI run
 * can only show or hide esbuild's warnings, and a warning (such as
 * `import.meta` emptied in a CommonJS bundle) is a broken deploy.
 */
export class NodeFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const code = Code.fromAsset(PROJECT_ROOT, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws, so CDK never falls back to Docker.
        image: DockerImage.fromRegistry('watchpost/no-docker-bundling'),
        local: new LocalEsbuild(props.entry, props.afterBundling),
      },
    });
    this.function = new LambdaFunction(this, 'Function', {
      code,
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      description: props.description,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: 'Watchpost',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
  }
}

