/**
 * Bench child processes: `node [--import tsx] <entry> ...args`, as server/clients/spawn.ts starts
 * clients, or any other command (the PyTorch reference). Their result lines come on stdout
 * after a known prefix; stderr is kept for the error message when a child fails. A child
 * started with `input` takes requests as lines on its stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLIENT_NODE_FLAGS, MALLOC_ENV, nodeArgsFor } from '../server/clients/node-process.js';

const STDERR_TAIL = 4000;

/** Prefix of a child's result line on stdout. */
export const RESULT_PREFIX = 'STREAMSSL_BENCH_RESULT ';

export interface Child {
  process: ChildProcess;
  /** Resolves with the next stdout line starting with `prefix` that no earlier call returned, parsed as JSON. */
  line(prefix: string): Promise<unknown>;
  /** Resolves when the process has exited; rejects when it failed. */
  exited: Promise<void>;
  /** Last lines the process wrote to stderr. */
  stderr(): string;
  /** Writes one line to the child's stdin (only for a child started with `input`). */
  send(line: string): void;
  /** Closes the child's stdin: a child that serves requests ends then. */
  endInput(): void;
}

export interface ProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Whether the child reads requests from its stdin (default: its stdin is /dev/null). */
  input?: boolean;
}

/**
 * Starts a TypeScript entry point in a new Node process. `wrap` may put a command in front
 * of the Node command line (e.g. `ip netns exec NAME`, to start it on a test host).
 */
export function startChild(entry: string, args: string[], env: NodeJS.ProcessEnv = {}, wrap: (argv: string[]) => string[] = (argv) => argv, input = false): Child {
  return startProcess(wrap([process.execPath, ...nodeArgsFor(entry), ...args]), { env, input });
}

/**
 * `startChild` with the allocator settings and Node flags that spawned clients get
 * (server/clients/node-process.ts), so that what the child measures is a client's.
 */
export function startClientLikeChild(entry: string, args: string[], o: ProcessOptions = {}): Child {
  return startChild(entry, args, { ...MALLOC_ENV, ...o.env }, ([node, ...rest]) => [node, ...CLIENT_NODE_FLAGS, ...rest], o.input);
}

/** Starts `argv` (command first) as a child process. */
export function startProcess(argv: string[], o: ProcessOptions = {}): Child {
  const [command, ...rest] = argv;
  const child = spawn(command, rest, { stdio: [o.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
  // A child that died leaves its stdin broken: the request fails through `line`, not here.
  child.stdin?.on('error', () => undefined);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err = (err + chunk).slice(-STDERR_TAIL)));
  const lines: string[] = [];
  const watchers = new Set<() => void>();
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const watch of [...watchers]) watch();
  });
  const describe = () => argv.join(' ');
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`could not start ${describe()}: ${e.message}`)));
    // 'close', not 'exit': by then stdout has been read to its end.
    child.once('close', (code, signal) => {
      for (const watch of [...watchers]) watch();
      if (code === 0) resolve();
      else reject(new Error(`${describe()} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${err ? `:\n${err.trimEnd()}` : ''}`));
    });
  });
  exited.catch(() => undefined);

  /** Lines a `line` call returned already. */
  const taken = new Set<number>();
  return {
    process: child,
    exited,
    stderr: () => err,
    send(line) {
      if (!child.stdin) throw new Error(`${describe()}: started without input`);
      child.stdin.write(`${line}\n`);
    },
    endInput() {
      child.stdin?.end();
    },
    line(prefix) {
      return new Promise<unknown>((resolve, reject) => {
        let seen = 0;
        const watch = () => {
          for (; seen < lines.length; seen++) {
            if (taken.has(seen) || !lines[seen].startsWith(prefix)) continue;
            taken.add(seen);
            watchers.delete(watch);
            try {
              resolve(JSON.parse(lines[seen].slice(prefix.length)));
            } catch (e) {
              reject(new Error(`${describe()}: unreadable result line: ${(e as Error).message}`));
            }
            return;
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            watchers.delete(watch);
            exited.then(() => reject(new Error(`${describe()} exited without a result line`)), reject);
          }
        };
        watchers.add(watch);
        watch();
      });
    },
  };
}

/** Waits up to `waitMs` for a child to exit by itself, then SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, waitMs = 2000, graceMs = 5000): Promise<void> {
  const p = child.process;
  const running = () => p.exitCode === null && p.signalCode === null;
  const settled = child.exited.catch(() => undefined);
  const within = (ms: number) => Promise.race([settled, new Promise<void>((r) => setTimeout(r, ms).unref())]);
  if (running()) await within(waitMs);
  if (running()) p.kill('SIGTERM');
  if (running()) await within(graceMs);
  if (running()) p.kill('SIGKILL');
  await settled;
}
