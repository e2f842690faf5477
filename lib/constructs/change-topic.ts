import { Key } from 'aws-cdk-lib/aws-kms';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * The topic every change event is published to: encrypted with a
 * customer-managed key (rotated yearly) and reachable only over TLS.
 * Subscribers: the delivery queue, and teams' email subscriptions.
 */
export class ChangeTopic extends Construct {
  public readonly topic: Topic;
  public readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'Key', { enableKeyRotation: true, description: 'Watchpost topics' });
    // CloudWatch alarms publish to the operator topic, encrypted with this key too.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true, displayName: 'Watchpost changes' });
  }
}
