import type { Logger } from '../../lambdas/domain/ports';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Record<string, unknown>;
}

/** A logger that keeps what it is told, so tests can assert on warnings. */
export function captureLogger(): Logger & { entries: LogEntry[]; at(level: LogEntry['level']): LogEntry[] } {
  const entries: LogEntry[] = [];
  const log = (level: LogEntry['level']) => (message: string, ...extra: Record<string, unknown>[]) => {
    entries.push({ level, message, extra: Object.assign({}, ...extra) });
  };
  return {
    entries,
    at: (level) => entries.filter((e) => e.level === level),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
}
