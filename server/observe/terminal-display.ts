/**
 * The live progress display of `run`, `suite` and `resume` on a terminal (log-update):
 * the rendered snapshot, redrawn at most `redrawMs` apart, with the events that matter
 * kept above it. Off a terminal the run logs JSON lines as before; `displayMode` decides.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLogUpdate } from 'log-update';
import { createLogger, type Logger } from '../../shared/log.js';
import { RunEvents } from './bus.js';
import { notableLine, renderProgress } from './terminal-render.js';

/**
 * `terminal` when stderr is a TTY with a width (a pseudo-terminal of zero columns would
 * wrap every character) and `STREAMSSL_PROGRESS` is not `0`; else `json`: log lines as before.
 */
export function displayMode(o: { isTTY: boolean | undefined; columns?: number; env?: NodeJS.ProcessEnv }): 'terminal' | 'json' {
  if (o.env?.STREAMSSL_PROGRESS === '0') return 'json';
  return o.isTTY && (o.columns ?? 0) > 0 ? 'terminal' : 'json';
}

export class TerminalDisplay {
  private readonly draw: ReturnType<typeof createLogUpdate>;
  private events: RunEvents | null = null;
  private unsubscribe: () => void = () => undefined;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly redrawMs = 250,
  ) {
    this.draw = createLogUpdate(stream);
  }

  /** Shows `events`' run (a suite follows one run after another). */
  follow(events: RunEvents): void {
    this.unsubscribe();
    this.events = events;
    this.unsubscribe = events.subscribe((e) => {
      const line = notableLine(e);
      if (line !== null) this.draw.persist(line);
      this.schedule();
    });
  }

  /** Draws the last state and leaves it on the terminal. */
  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.redraw();
    this.draw.done();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.redraw();
    }, this.redrawMs);
    this.timer.unref();
  }

  private redraw(): void {
    if (this.events) this.draw(renderProgress(this.events.snapshot, Math.max(40, (this.stream.columns ?? 100) - 1)));
  }
}

/** A command's output on a terminal: its display, and its log in a file. */
export interface ProgressOutput {
  /** Writes JSON lines to the log file. */
  logger: Logger;
  logFile: string;
  /** A bus for the next run, shown from now on. */
  nextRun(): RunEvents;
  close(): void;
}

/**
 * The display and a file logger at `logFile` when stderr is a terminal, else null (the
 * command then logs JSON lines to stderr as before).
 */
export function progressOutput(logFile: string, env: NodeJS.ProcessEnv = process.env): ProgressOutput | null {
  if (displayMode({ isTTY: process.stderr.isTTY, columns: process.stderr.columns, env }) === 'json') return null;
  mkdirSync(dirname(logFile), { recursive: true });
  const logger = createLogger({ name: 'coordinator', file: logFile });
  const display = new TerminalDisplay();
  return {
    logger,
    logFile,
    nextRun() {
      const events = new RunEvents(undefined, (err) => logger.warn({ err: (err as Error).message }, 'a run-event listener failed and was removed'));
      display.follow(events);
      return events;
    },
    close: () => display.close(),
  };
}
