import type { Logger } from '../domain/ports';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** Readable one-line logs for a terminal; the Lambdas use Powertools' JSON logger instead. */
export function consoleLogger(minimum: Level = 'info', write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Logger {
  const log = (level: Level) => (message: string, ...extra: Record<string, unknown>[]) => {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(minimum)) return;
    const fields = Object.assign({}, ...extra) as Record<string, unknown>;
    const details = Object.entries(fields)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    write(`[${level}] ${message}${details ? ` ${details}` : ''}`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
