import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../../lambdas/adapters/dynamo/table';

export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'Query' | 'Scan';

/**
 * The single table: watches, teams, subscriptions, deliveries and event
 * history. On-demand, point-in-time recovery, TTL for history and delivery
 * logs, and retained when the stack is deleted. Its layout comes from the
 * runtime's own TABLE_LAYOUT, so code and infrastructure cannot drift.
 */
export class WatchStore extends Construct {
  public readonly table: TableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, sortKey, ttlAttribute, pollIndex, teamIndex } = TABLE_LAYOUT;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: pollIndex.name,
          partitionKey: { name: pollIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: pollIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        {
          indexName: teamIndex.name,
          partitionKey: { name: teamIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: teamIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
      ],
    });
  }

  /**
   * Sets WATCHPOST_TABLE_NAME on the function and grants exactly the listed
   * actions on the table and its indexes: configuration and permission in one
   * call, so they cannot drift apart.
   */
  bind(fn: IFunction & { addEnvironment(key: string, value: string): unknown }, actions: TableAction[]): void {
    fn.addEnvironment('WATCHPOST_TABLE_NAME', this.table.tableName);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
      }),
    );
  }

  /**
   * What authentication writes besides reading: a token's last use (at most
   * hourly) and, once per token written before tokens had names, its adoption
   * (see TeamStore.adoptLegacyToken). Only on token and team items, and only
   * the attributes those writes touch: the authorizer cannot write watches,
   * subscriptions or another attribute of a team.
   */
  grantTokenUse(fn: IFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TOKEN#*', 'TEAM#*'] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...TOKEN_USE_ATTRIBUTES] },
        },
      }),
    );
  }
}

/** Every attribute the authorizer's writes name: keys, the last use, and an adopted token's reference and team index keys. */
export const TOKEN_USE_ATTRIBUTES = ['pk', 'sk', 'lastUsedAt', 'tokenId', 'tokenHash', 'id', 'name', 'createdAt', 'expiresAt', 'teamPk', 'teamSk'] as const;
