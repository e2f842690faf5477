import { vi } from 'vitest';

/**
 * The environment a Lambda handler module reads at import: a region, dummy
 * credentials, DynamoDB reached on the local protocol server through the
 * SDK's service-specific endpoint variable, quiet Powertools logs, and the
 * handler's own settings.
 */
export function stubLambdaEnv(dynamoEndpoint: string, settings: Record<string, string>): void {
  const env: Record<string, string> = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...settings,
  };
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
}
