import type { SecretBox } from '../../domain/ports';
import { decryptAesGcm, encryptAesGcm } from './aes-gcm';
import { readOrCreateKeyFile } from './key-file';

const PREFIX = 'wps1.local.';

/**
 * The local runtime's secret box: AES-256-GCM under a random key kept in a
 * file of the data directory (0600), so the database files alone do not
 * reveal a webhook secret.
 */
export class LocalSecretBox implements SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Reads the key file, or creates it (once, even when two processes race). */
  static async fromKeyFile(file: string): Promise<LocalSecretBox> {
    return new LocalSecretBox(await readOrCreateKeyFile(file, 'delete it only if no webhook subscription needs it'));
  }

  async seal(plaintext: string, context: Record<string, string>): Promise<string> {
    return PREFIX + encryptAesGcm(this.key, plaintext, context);
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a secret sealed by this data directory’s key');
    return decryptAesGcm(this.key, sealed.slice(PREFIX.length), context);
  }
}
