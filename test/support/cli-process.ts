/**
 * Test helper: a `streamssl` command (bin/streamssl.mjs) as a child process, for tests of
 * what a user runs. `spawnCli` collects its output and can await a line; `startCli` puts
 * it in a process group of its own, so a test can kill it and every client it spawned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../bin/streamssl.mjs', import.meta.url));

function launch(args: readonly string[], env: NodeJS.ProcessEnv, detached: boolean): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { detached, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

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
  return watchProcess(launch(args, env, false));
}

/** Collects the output of a child whose stdout and stderr are pipes, as a `CliProcess`. */
export function watchProcess(child: ChildProcess): CliProcess {
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

export interface GroupCliProcess {
  readonly child: ChildProcess;
  /** Resolves when it exits, with its exit code (null when a signal ended it) and its output. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** SIGKILLs whatever is left of its process group (the CLI and the clients it spawned). */
  killGroup(): void;
}

/** Runs `streamssl ...args` as the leader of a new process group. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): GroupCliProcess {
  const child = launch(args, env, true);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    child,
    exited,
    killGroup() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    },
  };
}

/** Whether a process is alive: a zombie (exited, not yet reaped) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
