/** A pino logger that writes into memory, so a test can read what the coordinator logged. */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

export interface LogBuffer {
  logger: Logger;
  /** Everything logged so far, one JSON object a line. */
  text(): string;
  /** The messages logged so far that match `pattern`. */
  messages(pattern: RegExp): string[];
}

export function logBuffer(level = 'debug'): LogBuffer {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
  return {
    logger: pino({ level }, sink),
    text: () => lines.join(''),
    messages: (pattern) =>
      lines
        .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg ?? ''))
        .filter((msg) => pattern.test(msg)),
  };
}
