/**
 * Node processes that run this checkout's TypeScript directly, as bin/streamssl.mjs does:
 * `node --import tsx ENTRY ARGS`. Client processes and analysis processes start this way.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The Node arguments that load tsx, so that the process can run .ts entry points. */
export function tsxImportArgs(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/** Starts `entry` (a .ts file) in a new Node process with tsx loaded. */
export function spawnTypeScript(entry: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [...tsxImportArgs(), entry, ...args], options);
}

/** How a child process ended, as a phrase: `exited with code 3`, `was killed by SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
