import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StartupError } from './startup-error';

/**
 * Locks a data directory for this process: a `lock` file holding the
 * process id and, where the system tells it (Linux's /proc), the process's
 * start time. A lock is honoured only while the process that wrote it is
 * alive: not a zombie (killed, not yet reaped by its parent, which is what
 * a restart right after `kill -9` meets) and not another process that has
 * since been given the same id. Returns the function that releases it.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = join(dataDir, 'lock');
  const self = await lockContent(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.writeFile(self);
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = parseLock(await readFile(lockFile, 'utf8').catch(() => ''));
    if (holder && holder.pid !== process.pid && (await isAlive(holder))) {
      throw new StartupError(`The data directory ${dataDir} is in use by process ${holder.pid} (another npm start?): stop it, or set WATCHPOST_DATA_DIR to another directory.`);
    }
    // Left by a process that is gone: take it over.
    await rm(lockFile, { force: true });
  }
  throw new StartupError(`Could not lock the data directory ${dataDir} (${lockFile} keeps coming back): is another npm start starting right now?`);
}

interface LockHolder {
  pid: number;
  /** Absent in locks written by older versions, or where the system does not say. */
  startTime?: string;
}

async function lockContent(pid: number): Promise<string> {
  const startTime = (await procStat(pid))?.startTime;
  return startTime === undefined ? `${pid}\n` : `${pid} ${startTime}\n`;
}

export function parseLock(text: string): LockHolder | undefined {
  const [pidText, startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime ? { pid, startTime } : { pid };
}

async function isAlive(holder: LockHolder): Promise<boolean> {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists, but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await procStat(holder.pid);
  // No /proc (macOS, …): the signal's answer is all there is.
  if (stat === undefined) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return holder.startTime === undefined || holder.startTime === stat.startTime;
}

/**
 * What Linux says of a process in /proc/<pid>/stat: its state letter (field 3)
 * and its start time in clock ticks since boot (field 22). The command name
 * (field 2) is in parentheses and may itself hold spaces or parentheses, so
 * the fields are counted from the last `)`.
 */
export async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 1).trim().split(/\s+/);
  const [state, startTime] = [fields[0], fields[19]];
  return state && startTime ? { state, startTime } : undefined;
}
