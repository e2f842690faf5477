import { RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Upstream credentials and the operator's admin token, in Secrets Manager:
 * never in environment values. The credentials secret is created with empty
 * keys for an operator to fill; the admin token is generated.
 */
export class WatchpostSecrets extends Construct {
  public readonly upstreamCredentials: Secret;
  public readonly adminToken: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.upstreamCredentials = new Secret(this, 'UpstreamCredentials', {
      description: 'Watchpost upstream credentials: ADAPTION_API_KEY, and DEEPOPINION_TOKEN or DEEPOPINION_EMAIL + DEEPOPINION_PASSWORD',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ ADAPTION_API_KEY: '', DEEPOPINION_TOKEN: '', DEEPOPINION_EMAIL: '', DEEPOPINION_PASSWORD: '' }),
        // Secrets Manager needs one generated key; the runtime ignores it.
        generateStringKey: 'unused',
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.adminToken = new Secret(this, 'AdminToken', {
      description: 'Watchpost operator token for /v1/admin routes',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  bindUpstreamCredentials(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    fn.addEnvironment('WATCHPOST_UPSTREAM_SECRET_ARN', this.upstreamCredentials.secretArn);
    this.upstreamCredentials.grantRead(fn);
  }

  bindAdminToken(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    fn.addEnvironment('WATCHPOST_ADMIN_TOKEN_SECRET_ARN', this.adminToken.secretArn);
    this.adminToken.grantRead(fn);
  }
}
