import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../../domain/ports';
import { decryptAesGcm, encryptAesGcm } from './aes-gcm';

const PREFIX = 'wps1.kms.';
const CACHE_LIMIT = 1_000;

/**
 * Envelope encryption under a dedicated KMS key: each secret gets its own
 * data key (GenerateDataKey), used once with AES-256-GCM locally; only the
 * KMS-encrypted data key is stored beside the ciphertext. The context is
 * bound both as KMS encryption context and as GCM additional data. Opened
 * data keys are cached per container, so delivery calls KMS once per
 * subscription, not once per message.
 */
export class KmsSecretBox implements SecretBox {
  private readonly dataKeys = new Map<string, Uint8Array>();

  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {}

  async seal(plaintext: string, context: Record<string, string>): Promise<string> {
    const result = await this.client.send(new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: context }));
    if (!result.Plaintext || !result.CiphertextBlob) throw new Error('KMS returned no data key');
    const wrapped = Buffer.from(result.CiphertextBlob).toString('base64url');
    const sealed = `${PREFIX}${wrapped}.${encryptAesGcm(result.Plaintext, plaintext, context)}`;
    result.Plaintext.fill(0);
    return sealed;
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a secret sealed with KMS');
    const [wrapped, ...rest] = sealed.slice(PREFIX.length).split('.');
    if (!wrapped || rest.length !== 3) throw new Error('sealed secret is malformed');
    const cacheKey = `${wrapped}|${JSON.stringify(context)}`;
    let key = this.dataKeys.get(cacheKey);
    if (!key) {
      const result = await this.client.send(new DecryptCommand({ CiphertextBlob: Buffer.from(wrapped, 'base64url'), EncryptionContext: context, KeyId: this.keyId }));
      if (!result.Plaintext) throw new Error('KMS returned no plaintext');
      key = result.Plaintext;
      if (this.dataKeys.size >= CACHE_LIMIT) this.dataKeys.delete(this.dataKeys.keys().next().value as string);
      this.dataKeys.set(cacheKey, key);
    }
    return decryptAesGcm(key, rest.join('.'), context);
  }
}
