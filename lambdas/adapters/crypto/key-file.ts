import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';

/**
 * A 32-byte key kept in a private file of the local data directory: read, or
 * created on the first start (once, even when two processes race). A file
 * that does not hold such a key is an error that says `whatToDo`.
 */
export async function readOrCreateKeyFile(file: string, whatToDo: string): Promise<Buffer> {
  // Usually the file is there: only a first start writes one.
  const text = await readFile(file, 'utf8').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await createKeyFileOnce(file);
    return readFile(file, 'utf8');
  });
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key; ${whatToDo}`);
  return key;
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
