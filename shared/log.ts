/**
 * Logger factory: human-readable lines on a terminal, JSON lines otherwise (log files,
 * pipes), level from the `STREAMSSL_LOG` environment variable (default `info`).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggerOptions {
  /** Shown on every line (e.g. `coordinator`, `client`). */
  name?: string;
  /** Overrides `STREAMSSL_LOG`. */
  level?: string;
  /** File descriptor written to: 1 (stdout) or 2 (stderr, the default, so stdout stays for results). */
  fd?: 1 | 2;
  /** Write JSON lines to this file instead (appended; e.g. while a terminal shows a progress display). */
  file?: string;
}

/** Creates a logger; secrets under a `token` key are redacted wherever they appear. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = resolveLevel(options.level ?? process.env.STREAMSSL_LOG);
  const fd = options.fd ?? 2;
  const stream = options.file !== undefined
    ? pino.destination({ dest: options.file, append: true, sync: true })
    : (fd === 1 ? process.stdout : process.stderr).isTTY
    ? pretty({ destination: fd, colorize: true, sync: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname,socket', singleLine: true })
    : pino.destination({ fd, sync: true });
  return pino(
    {
      name: options.name,
      level,
      redact: { paths: ['token', '*.token', 'auth.token', '*.auth.token'], censor: '[redacted]' },
    },
    stream,
  );
}

/** A logger that writes nothing (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function resolveLevel(value: string | undefined): string {
  if (!value) return 'info';
  const level = value.toLowerCase();
  if ((LEVELS as readonly string[]).includes(level)) return level;
  process.stderr.write(`STREAMSSL_LOG: unknown level "${value}" (use ${LEVELS.join(', ')}); using info\n`);
  return 'info';
}
