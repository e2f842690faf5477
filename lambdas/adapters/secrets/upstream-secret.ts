import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { credentialsFromEnv, loadEnv, type UpstreamCredentials } from '../../config';

/**
 * The upstream credentials secret: a JSON object with the same keys as the
 * local environment variables, so one mental model covers both.
 */
const UpstreamSecretSchema = z.object({
  ADAPTION_API_KEY: z.string().optional(),
  DEEPOPINION_TOKEN: z.string().optional(),
  DEEPOPINION_EMAIL: z.string().optional(),
  DEEPOPINION_PASSWORD: z.string().optional(),
});

export async function loadUpstreamCredentials(client: SecretsManagerClient, secretArn: string): Promise<UpstreamCredentials> {
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let json: unknown;
  try {
    json = JSON.parse(result.SecretString ?? '{}');
  } catch {
    // Never echo the secret's text: it may be the credential itself.
    throw new Error('the upstream credentials secret is not a JSON object');
  }
  const parsed = UpstreamSecretSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`the upstream credentials secret has wrong fields: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  // Reuse the environment rules (token xor email+password) for the secret's keys.
  return credentialsFromEnv(loadEnv(parsed.data));
}
