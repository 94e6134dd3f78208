/**
 * The `ip` and `tc` commands that build test hosts, run as this process's user (root):
 * each failure names the command and what it printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A setup command that failed: which one, and why. */
export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostCommandError';
  }
}

/** Runs `program args...` and returns its standard output; throws `HostCommandError`. */
export async function sh(program: string, args: string[]): Promise<string> {
  const command = [program, ...args].join(' ');
  try {
    const { stdout } = await run(program, args, { timeout: 20_000, maxBuffer: 1 << 20 });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: string | number };
    const why = (e.stderr ?? '').trim() || e.message;
    throw new HostCommandError(command, `\`${command}\` failed: ${why}`);
  }
}

/** `ip args...` inside namespace `ns` (or the root namespace). */
export function ip(args: string[], ns?: string): Promise<string> {
  return sh('ip', ns ? ['-n', ns, ...args] : args);
}

/** `tc args...` inside namespace `ns`. */
export function tc(ns: string, args: string[]): Promise<string> {
  return sh('ip', ['netns', 'exec', ns, 'tc', ...args]);
}

/** The network namespaces that exist now. */
export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((name) => name !== undefined && name !== '');
}

/** The interface names of a namespace (the root one when `ns` is absent). */
export async function listLinks(ns?: string): Promise<string[]> {
  const out = await ip(['-o', 'link', 'show'], ns);
  return out
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Process ids running inside namespace `ns`. */
export async function namespacePids(ns: string): Promise<number[]> {
  const out = await sh('ip', ['netns', 'pids', ns]).catch(() => '');
  return out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}
