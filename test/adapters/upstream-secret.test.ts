import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUpstreamCredentials } from '../../lambdas/adapters/secrets/upstream-secret';

const client = new SecretsManagerClient({ region: 'eu-west-1' });
const secrets = mockClient(client);
afterEach(() => secrets.reset());

describe('loadUpstreamCredentials', () => {
  it('reads the same keys as the local environment', async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ADAPTION_API_KEY: 'pt_live_x', DEEPOPINION_EMAIL: 'bot@corp.example', DEEPOPINION_PASSWORD: 'pw' }),
    });

    expect(await loadUpstreamCredentials(client, 'arn:secret')).toEqual({
      adaptionApiKey: 'pt_live_x',
      deepOpinion: { email: 'bot@corp.example', password: 'pw' },
    });
  });

  it('never echoes a secret that is not JSON', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'pt_live_plaintext_key' });

    const failure = loadUpstreamCredentials(client, 'arn:secret');

    await expect(failure).rejects.toThrow('not a JSON object');
    await expect(failure).rejects.not.toThrow(/pt_live/);
  });
});
