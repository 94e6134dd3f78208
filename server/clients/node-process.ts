/**
 * Node processes that run this project's code: compiled JavaScript as it is (`node ENTRY
 * ARGS`), or the TypeScript sources through tsx (`node --import tsx ENTRY ARGS`), as
 * bin/streamssl.mjs does when no build is there. Client processes, analysis processes and
 * the bench's children start this way, from the code their parent runs
 * (shared/code-location.ts picks the entry).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The Node arguments that load tsx, so that the process can run .ts entry points. */
export function tsxImportArgs(): string[] {
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

/** The Node arguments that run `entry`: tsx is loaded only for a TypeScript entry. */
export function nodeArgsFor(entry: string): string[] {
  return [...(entry.endsWith('.ts') ? tsxImportArgs() : []), entry];
}

/** Starts `entry` (a .ts or .js file) in a new Node process. */
export function spawnEntry(entry: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [...nodeArgsFor(entry), ...args], options);
}

/**
 * glibc malloc settings for training processes (their own environment wins): fixed-size
 * mmap for blocks over 128 KiB, so the many large buffers a client frees (batches,
 * states, data subsets) go back to the system instead of staying in a heap that only
 * grows (glibc raises its mmap threshold to the largest block freed); two arenas instead
 * of one per thread (OpenMP, data workers). Measured on a quickstart client (two stages
 * and an evaluation): peak resident 467 MB -> 445 MB, 457 MB -> 384 MB held at the end.
 * Other C libraries ignore them.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '2' };

/** How a child process ended, as a phrase: `exited with code 3`, `was killed by SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
