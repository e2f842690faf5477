import { RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Upstream credentials and the operator's admin token, in Secrets Manager:
 * never in environment values. The credentials secret is created with empty
 * keys for an operator to fill; the admin token and the key that signs
 * pagination cursors are generated. Webhook signing
 * secrets are sealed in the table under a KMS key of their own (envelope
 * encryption), usable only by the functions that seal or sign.
 */
export class WatchpostSecrets extends Construct {
  public readonly upstreamCredentials: Secret;
  public readonly adminToken: Secret;
  /** Signs the API's pagination cursors; only the API reads it. */
  public readonly cursorKey: Secret;
  public readonly webhookSecretsKey: Key;

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
    this.cursorKey = new Secret(this, 'CursorKey', {
      description: 'Watchpost: signs pagination cursors (rotating it only makes open cursors start over)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Nothing is lost without it, but there is no reason to drop a key with the stack either.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.webhookSecretsKey = new Key(this, 'WebhookSecretsKey', {
      enableKeyRotation: true,
      description: 'Watchpost: seals webhook signing secrets at rest',
      // Without it, every stored webhook secret is unreadable: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Lets a function use the webhook secrets key and tells it which: `seal`
   * (the API: new data keys, and opening for test sends) or `open` (delivery).
   */
  bindWebhookSecretsKey(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, use: 'seal' | 'open'): void {
    fn.addEnvironment('WATCHPOST_SECRETS_KEY_ARN', this.webhookSecretsKey.keyArn);
    if (use === 'seal') this.webhookSecretsKey.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
    else this.webhookSecretsKey.grantDecrypt(fn);
  }

  bindUpstreamCredentials(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    fn.addEnvironment('WATCHPOST_UPSTREAM_SECRET_ARN', this.upstreamCredentials.secretArn);
    this.upstreamCredentials.grantRead(fn);
  }

  bindCursorKey(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    fn.addEnvironment('WATCHPOST_CURSOR_KEY_SECRET_ARN', this.cursorKey.secretArn);
    this.cursorKey.grantRead(fn);
  }

  bindAdminToken(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    fn.addEnvironment('WATCHPOST_ADMIN_TOKEN_SECRET_ARN', this.adminToken.secretArn);
    this.adminToken.grantRead(fn);
  }
}
