/**
 * Multi-threaded tfjs wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD build (XNNPACK on a pthread pool), but in
 * Node it always runs the single-threaded one. What stands in the way, and what this file
 * does about each, for the duration of the backend's initialization only:
 *
 * 1. `WASM_HAS_MULTITHREAD_SUPPORT` answers false whenever IS_NODE (tfjs issue #3830), so
 *    the threaded build is never chosen. We set the flag (after checking SharedArrayBuffer
 *    and wasm atomics ourselves, as the flag would in a browser).
 * 2. Emscripten starts its pool (8 workers, PTHREAD_POOL_SIZE) with
 *    `new Worker(locateFile('…worker.js'))`, and tfjs answers that with
 *    `URL.createObjectURL(new Blob([wasmWorkerContents]))`: a `blob:` URL, which Node's
 *    worker_threads cannot start (it takes file paths, file: or data: URLs). We make
 *    `URL.createObjectURL` return the path of ./wasm-pthread-worker.cjs for that blob, a
 *    file that runs the same worker code; it explains the rest (the worker then loads the
 *    Emscripten main script, which tfjs passes as another Blob, `mainScriptUrlOrBlob`).
 * 3. The C++ side caps the pool at `emscripten_num_logical_cores() / 2` (it assumes two
 *    hyper-threads per core), and in Node that is `os.cpus().length / 2`: one thread on a
 *    2-core machine. We make `os.cpus()` report at least 2 × threads entries while the
 *    module starts (its static constructors read it once).
 *
 * A worker that fails to load would throw from an event handler Emscripten installs and
 * take the process down, so the worker file is first started once on its own (a probe):
 * if that fails, we never ask tfjs for the threaded build and the caller falls back.
 */
import os from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** Workers the threaded build pre-creates; more threads than this would deadlock its start. */
export const MAX_WASM_THREADS = 8;

const WORKER_FILE = fileURLToPath(new URL('./wasm-pthread-worker.cjs', import.meta.url));
const WORKER_CONTENTS = 'tfjs-backend-wasm-threaded-simd.worker.js';
const PROBE_TIMEOUT_MS = 30_000;
const INIT_TIMEOUT_MS = 120_000;

// A module using a shared memory and an atomic load: what browsers' thread detection checks.
const ATOMICS_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5,
  4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

let probed: Promise<string | null> | undefined;

/**
 * Why the threaded build cannot run in this process, or null when it can. Starts the
 * worker file once (cached), so a broken install is caught before tfjs sees it.
 */
export function threadedWasmUnavailable(): Promise<string | null> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<string | null> {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available';
  if (!WebAssembly.validate(ATOMICS_MODULE)) return 'this WebAssembly engine has no threads (atomics)';
  if (!existsSync(WORKER_FILE)) return `pthread worker file missing: ${WORKER_FILE}`;
  const worker = new Worker(WORKER_FILE, { workerData: { probe: true } });
  try {
    return await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(`pthread worker did not start within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
      const done = (why: string | null) => {
        clearTimeout(timer);
        resolve(why);
      };
      worker.once('message', (m: { probe?: boolean }) => done(m.probe ? null : 'pthread worker could not load the Emscripten script'));
      worker.once('error', (err) => done(`pthread worker failed: ${err.message}`));
      worker.once('exit', (code) => done(`pthread worker exited (code ${code}) before loading`));
    });
  } finally {
    await worker.terminate();
  }
}

/**
 * Runs `init`, which must initialize tfjs' wasm backend (`tf.setBackend('wasm')`), so
 * that the backend comes up threaded with `threads` threads (1..MAX_WASM_THREADS).
 * Call only after `threadedWasmUnavailable()` resolved null. Every patch is undone when
 * `init` settles; a hung start is abandoned after a timeout (tfjs ignores a backend
 * init that a later `setBackend` superseded).
 */
export async function initThreadedWasm(threads: number, init: () => Promise<boolean>): Promise<boolean> {
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
    throw new Error(`wasm threads must be an integer in 1..${MAX_WASM_THREADS}, got ${threads}`);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const undo = [redirectWorkerBlob(), reportLogicalCores(2 * threads)];
  let timer: NodeJS.Timeout | undefined;
  try {
    const started = init();
    // If it loses the race below, nobody awaits it any more.
    started.catch(() => undefined);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`threaded wasm did not start within ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS);
    });
    return await Promise.race([started, timeout]);
  } finally {
    clearTimeout(timer);
    for (const restore of undo) restore();
  }
}

/** Makes the next wasm initialization pick the single-threaded build again. */
export function useSingleThreadedWasm(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
}

/** Threads XNNPACK runs on in the initialized wasm backend (1 for the single-threaded build). */
export function wasmThreadsInUse(): number {
  return getThreadsCount();
}

/**
 * Points the pthread workers at the worker file. Only the blob holding the worker code is
 * redirected, recognized by its size (Node cannot read a Blob synchronously); any other
 * blob gets a real blob URL.
 */
function redirectWorkerBlob(): () => void {
  const { wasmWorkerContents } = createRequire(import.meta.url)(`@tensorflow/tfjs-backend-wasm/wasm-out/${WORKER_CONTENTS}`) as { wasmWorkerContents: string };
  // tfjs escapes the newlines before making the blob; the size is that of the escaped text.
  const size = Buffer.byteLength(wasmWorkerContents.replace(/\n/g, '\\n'));
  const original = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob) => (obj instanceof Blob && obj.size === size ? WORKER_FILE : original.call(URL, obj));
  return () => {
    URL.createObjectURL = original;
  };
}

/** Makes `os.cpus()` list at least `count` entries (only its length is read). */
function reportLogicalCores(count: number): () => void {
  const original = os.cpus;
  os.cpus = () => {
    const cpus = original();
    const filler = cpus[0] ?? { model: 'unknown', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
    while (cpus.length < count) cpus.push(filler);
    return cpus;
  };
  return () => {
    os.cpus = original;
  };
}
