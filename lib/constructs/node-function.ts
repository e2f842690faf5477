import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

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

/**
 * Watchpost's Lambda defaults in one place: Node.js 24 on arm64, bundled
 * locally by esbuild (no Docker), JSON logs with a retention, X-Ray tracing,
 * and the Powertools service name.
 */
export class NodeFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    this.function = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL(`../../lambdas/${props.entry}`, import.meta.url)),
      handler: 'handler',
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
      bundling: {
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        target: 'node24',
        // The Node.js 24 runtime ships AWS SDK v3; everything else is bundled.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        // Only esbuild's errors: its size table per function drowns the output of cdk and of the tests.
        logLevel: LogLevel.ERROR,
        ...(props.afterBundling
          ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: props.afterBundling } }
          : {}),
      },
    });
  }
}
