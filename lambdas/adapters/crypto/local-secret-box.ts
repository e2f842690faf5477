import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
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
    // Usually the file is there: only a first start writes one.
    const text = await readFile(file, 'utf8').catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await createKeyFileOnce(file);
      return readFile(file, 'utf8');
    });
    const key = Buffer.from(text.trim(), 'base64');
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

/**
 * Writes a new key to a private file beside `file` and links it into place.
 * The name appears only with the whole key in it, so a process that loses
 * the race never reads a file the winner has not finished writing (as it
 * could with open('wx') then write), and link() fails for all but one.
 */
async function createKeyFileOnce(file: string): Promise<void> {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(draft, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  try {
    await link(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}
