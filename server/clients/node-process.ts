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

/** Starts `entry` (a .ts or .js file) in a new Node process, with Node's `nodeFlags`. */
export function spawnEntry(entry: string, args: readonly string[], options: SpawnOptions, nodeFlags: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, ...nodeArgsFor(entry), ...args], options);
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

/**
 * V8 settings for client processes:
 * - a young generation of 2 MB semi-spaces instead of 16 MB. A training step allocates
 *   little JavaScript, but what it allocates filled the large semi-spaces between
 *   collections: the V8 heap stood at 55-60 MB during training, 30 MB with these. Over the
 *   whole quickstart: its largest client 317 -> 274 MB (mean 304 -> 269 MB), training as
 *   fast within the machine's noise, the same results.
 * - the old generation collected once it holds 1.5 times what the last collection kept,
 *   not 4 times (V8's choice for a fast collector and a small heap). What a step keeps
 *   across the small young generation's collections (tape, tensors) is promoted and dies
 *   soon after; about 20 MB live grew to 75-80 MB before a collection, the joint client's
 *   peak. A full collection of 20 MB takes a few milliseconds every few seconds.
 */
export const CLIENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=50'];

/** How a child process ended, as a phrase: `exited with code 3`, `was killed by SIGKILL`. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
