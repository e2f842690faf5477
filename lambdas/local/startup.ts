import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { Level } from 'level';
import { lockDataDir } from './data-dir-lock';
import { StartupError } from './startup-error';

export { StartupError };

/** Listens, or fails with a StartupError that names the port and its setting. */
export function listenOn(server: Server, port: number, host: string, setting: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new StartupError(`Port ${port} on ${host} is already in use (${setting}): stop what holds it (another npm start or npm run simulator?) or set ${setting} to a free port.`, { cause: error }));
      } else if (error.code === 'EACCES') {
        reject(new StartupError(`Port ${port} on ${host} may not be opened by this user (${setting}): choose a port above 1023.`, { cause: error }));
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** What this version of Watchpost writes into a data directory; older directories are refused. */
export const DATA_FORMAT = '2';

/**
 * Prepares the data directory: created private (0700, and made so if it was
 * not), refused if an older Watchpost wrote it, and locked by this process.
 * Returns the function that releases the lock.
 */
export async function claimDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const release = await lockDataDir(dataDir);
  try {
    await checkFormat(dataDir);
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}

async function checkFormat(dataDir: string): Promise<void> {
  const formatFile = join(dataDir, 'format');
  const format = (await readFile(formatFile, 'utf8').catch(() => undefined))?.trim();
  if (format === DATA_FORMAT) return;
  const hasData = await readFile(join(dataDir, 'dynamodb', 'CURRENT'), 'utf8').then(
    () => true,
    () => false,
  );
  if (hasData || format !== undefined) {
    throw new StartupError(
      `The data directory ${dataDir} was written by ${format ? `data format ${format}` : 'an older Watchpost'} (this one writes format ${DATA_FORMAT}): move it away or delete it to start fresh.`,
    );
  }
  await writeFile(formatFile, `${DATA_FORMAT}\n`, { mode: 0o600 });
}

/**
 * Opens the embedded database's files once before the server uses them: the
 * server turns a damaged store into an exception thrown from inside a request
 * handler, which no caller can catch. Here it becomes one line that says what to do.
 */
export async function checkEmbeddedDatabase(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new StartupError(`The embedded database in ${path} could not be opened (${cause}): move that directory away to start fresh (its watches are lost).`, { cause: error });
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** Reads a JSON file of the runtime's own; a missing file is `fallback`, a damaged one a StartupError. */
export async function readStateFile<T>(file: string, fallback: T, whatToDo: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new StartupError(`Could not read ${file} (${(error as Error).message}): ${whatToDo}.`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new StartupError(`${file} is damaged (${(error as Error).message}): ${whatToDo}.`, { cause: error });
  }
}
