/**
 * A `streamssl` command (bin/streamssl.mjs) as a child process, for tests of what a user
 * runs: its stdout and stderr are collected, lines can be awaited, and it is killed if a
 * test leaves it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/streamssl.mjs', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects after `timeoutMs` or if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Kills the process if it still runs. */
  kill(): void;
}

/** Runs `streamssl ...args` with `env` added to this process's environment. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  exited.then(() => [...listeners].forEach((listener) => listener()));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`)), timeoutMs);
        const check = () => {
          const match = text.match(pattern);
          if (match) done(null, match);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`exited before printing ${pattern}; output:\n${text}`));
        };
        const done = (err: Error | null, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve(match!);
        };
        listeners.add(check);
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
