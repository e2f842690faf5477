import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/**
 * The single-table layout, shared by the CDK construct and the local runtime
 * so they cannot drift.
 *
 * - Watch:          pk `WATCH#<id>`, sk `WATCH`
 * - Event history:  pk `WATCH#<id>`, sk `EVENT#<time>#<eventId>`, expires via TTL
 *
 * - Team quotas:    pk `TEAM#<team>`, sk `QUOTA#<kind>` (see team-quota.ts)
 * - Poll tick lease: pk `LEASE#poll-tick`, sk `LEASE` (see tick-lease.ts)
 * - Sweep state:     pk `SWEEP#state`, sk `SWEEP` (the dataset high-water mark; see poll-store.ts)
 *
 * `pollable` is a sparse index: only active, unpaused watches carry
 * `pollShard`, so the poller scans exactly the watches it must poll and never
 * reads history items.
 *
 * Every index has a sort key that is unique per item (the table's `pk` for
 * `pollable`, `WATCH#<createdAt>#<id>` for `byTeam`). DynamoDB does not need
 * it, but the embedded server (dynalite) keys an index entry by the index key
 * plus only a 24-bit hash of the table key, so two items that share an index
 * key and that hash would silently overwrite each other in the index.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  pollIndex: { name: 'pollable', partitionKey: 'pollShard', sortKey: 'pk' },
  teamIndex: { name: 'byTeam', partitionKey: 'teamPk', sortKey: 'teamSk' },
} as const;

/** Spreads the sparse index over a few partitions. */
export const POLL_SHARDS = 8;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, pollIndex, teamIndex } = TABLE_LAYOUT;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: pollIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: teamIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: teamIndex.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: pollIndex.name,
        KeySchema: [
          { AttributeName: pollIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: pollIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: teamIndex.name,
        KeySchema: [
          { AttributeName: teamIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: teamIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Creates the table unless it exists (local runtime and tests; CDK owns it in AWS). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: tableName });
}
