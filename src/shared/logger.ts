/** A levelled logger shared by both threads. Only warnings and errors print unless debug is on. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: LogLevel = 'warn';

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

function write(level: LogLevel, scope: string, message: string, details?: unknown): void {
  if (order[level] < order[threshold]) return;
  const line = `[tandem:${scope}] ${message}`;
  const sink = level === 'debug' || level === 'info' ? console.info : level === 'warn' ? console.warn : console.error;
  if (details === undefined) sink(line);
  else sink(line, details);
}

export interface Logger {
  debug(message: string, details?: unknown): void;
  info(message: string, details?: unknown): void;
  warn(message: string, details?: unknown): void;
  error(message: string, details?: unknown): void;
}

/** Returns a logger whose lines start with `scope` (for example `engine` or `job`). */
export function createLogger(scope: string): Logger {
  return {
    debug: (message, details) => write('debug', scope, message, details),
    info: (message, details) => write('info', scope, message, details),
    warn: (message, details) => write('warn', scope, message, details),
    error: (message, details) => write('error', scope, message, details),
  };
}
