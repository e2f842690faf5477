import { randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import type { SecretBox } from '../../domain/ports';
import { decryptAesGcm, encryptAesGcm } from './aes-gcm';

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
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(randomBytes(32).toString('base64'));
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key; delete it only if no webhook subscription needs it`);
    return new LocalSecretBox(key);
  }

  async seal(plaintext: string, context: Record<string, string>): Promise<string> {
    return PREFIX + encryptAesGcm(this.key, plaintext, context);
  }

  async open(sealed: string, context: Record<string, string>): Promise<string> {
    if (!sealed.startsWith(PREFIX)) throw new Error('not a secret sealed by this data directory’s key');
    return decryptAesGcm(this.key, sealed.slice(PREFIX.length), context);
  }
}
