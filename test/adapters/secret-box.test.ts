import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KmsSecretBox } from '../../lambdas/adapters/crypto/kms-secret-box';
import { LocalSecretBox } from '../../lambdas/adapters/crypto/local-secret-box';

const SECRET = 'whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1zdG9yZWQ=';
const ctx = { team: 'team-a', subscription: 'sub_1' };

describe('LocalSecretBox', () => {
  it('opens what it sealed, and the sealed form does not contain the secret', async () => {
    const box = await LocalSecretBox.fromKeyFile(join(await mkdtemp(join(tmpdir(), 'wp-key-')), 'secret-key'));

    const sealed = await box.seal(SECRET, ctx);

    expect(sealed).toMatch(/^wps1\.local\./);
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(await box.open(sealed, ctx)).toBe(SECRET);
  });

  it('refuses to open a sealed secret under another subscription’s context, or tampered with', async () => {
    const box = await LocalSecretBox.fromKeyFile(join(await mkdtemp(join(tmpdir(), 'wp-key-')), 'secret-key'));
    const sealed = await box.seal(SECRET, ctx);
    const tampered = `${sealed.slice(0, -4)}AAAA`;

    await expect(box.open(sealed, { ...ctx, subscription: 'sub_2' })).rejects.toThrow();
    await expect(box.open(tampered, ctx)).rejects.toThrow();
  });

  it('creates its key file once, private, and reuses it, however many processes start at once (8 at a time, 20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const file = join(await mkdtemp(join(tmpdir(), 'wp-key-')), 'secret-key');
      // Before, a loser of the race could read the file before the winner had written the key.
      const [first, ...others] = await Promise.all(Array.from({ length: 8 }, () => LocalSecretBox.fromKeyFile(file)));

      const sealed = await first!.seal(SECRET, ctx);
      for (const other of others) expect(await other.open(sealed, ctx)).toBe(SECRET);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
      expect(await readdir(dirname(file))).toEqual(['secret-key']);
    }
  });
});

describe('KmsSecretBox (KMS mocked: it has no local server)', () => {
  const kms = mockClient(KMSClient);
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0b9c1a52-0000-4000-8000-000000000001';
  let dataKey: Buffer;

  beforeEach(() => {
    dataKey = randomBytes(32);
    kms.on(GenerateDataKeyCommand).callsFake(() => ({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: Buffer.from('wrapped') }));
    kms.on(DecryptCommand).callsFake(() => ({ Plaintext: Uint8Array.from(dataKey) }));
  });
  afterEach(() => kms.reset());

  it('asks KMS for a data key bound to the subscription, and stores only the wrapped key', async () => {
    const box = new KmsSecretBox(new KMSClient({ region: 'eu-west-1' }), keyArn);

    const sealed = await box.seal(SECRET, ctx);

    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({ KeyId: keyArn, KeySpec: 'AES_256', EncryptionContext: ctx });
    expect(sealed.startsWith(`wps1.kms.${Buffer.from('wrapped').toString('base64url')}.`)).toBe(true);
    expect(sealed).not.toContain(dataKey.toString('base64url'));
  });

  it('opens with one Decrypt per data key, however often it signs', async () => {
    const sealer = new KmsSecretBox(new KMSClient({ region: 'eu-west-1' }), keyArn);
    const sealed = await sealer.seal(SECRET, ctx);
    const opener = new KmsSecretBox(new KMSClient({ region: 'eu-west-1' }), keyArn);

    const opened = await Promise.all([1, 2, 3].map(() => opener.open(sealed, ctx)));
    await opener.open(sealed, ctx);

    expect(opened).toEqual([SECRET, SECRET, SECRET]);
    expect(kms.commandCalls(DecryptCommand).length).toBeLessThanOrEqual(3);
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input.EncryptionContext).toEqual(ctx);
    const before = kms.commandCalls(DecryptCommand).length;
    await opener.open(sealed, ctx);
    expect(kms.commandCalls(DecryptCommand).length).toBe(before);
  });

  it('refuses a value sealed by the local box', async () => {
    const box = new KmsSecretBox(new KMSClient({ region: 'eu-west-1' }), keyArn);

    await expect(box.open('wps1.local.a.b.c', ctx)).rejects.toThrow('not a secret sealed with KMS');
  });
});
