/**
 * Chooses the fastest TensorFlow.js backend this process can load.
 *
 * Auto order: tensorflow-gpu (libtensorflow with CUDA), tensorflow (libtensorflow CPU),
 * wasm, cpu. The native packages are optional: where they are not installed, or their
 * native library is missing, they fail to import and the next one is tried. A forced
 * backend that cannot load is an error, never a silent fallback.
 *
 * wasm runs its threaded build when more than one thread is asked for (see
 * ./backend/wasm-threads.ts for why that needs help in Node); if that build cannot start,
 * wasm comes up single-threaded and the reason says why.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { COMPILED } from '../shared/code-location.js';
import type { BackendName } from '../shared/scenario.js';
import { registerNativeKernels, unregisterNativeKernels } from './kernels/native/register.js';
import { registerWasmConvGradients } from './kernels/wasm-conv-grads.js';
import { registerWasmJsKernels } from './kernels/wasm-js-kernels.js';
import { registerReduceGradients } from './kernels/reduce-gradients.js';
import { registerReluGradient } from './kernels/relu-gradient.js';
import { useLeanSaves } from './optim/lean-saves.js';

// tfjs-core's Node bundle has neither the gradient functions nor the chained ops. Compiled
// code registers them from the build's bundle of tfjs-core's own (./backend/tfjs-registrations.ts);
// the sources, run by tsx, cannot load that module and take them from the union package,
// which also loads layers, converter, data and webgl (about half of the JavaScript a client
// loads). The native backends load the union package themselves (tfjs-node depends on it).
if (COMPILED) await import('./backend/tfjs-registrations.js');
else await import('@tensorflow/tfjs');
registerReduceGradients();
registerReluGradient();

export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export interface BackendChoice {
  /** The backend name as the CLI spells it. */
  name: ConcreteBackend;
  /** The name tfjs registered it under. */
  tfName: string;
  /** Why this one: what was tried before it and why that failed; for wasm, how it threads. */
  reason: string;
  /** How it computes, without how it was chosen: for wasm its kernels and threads, else the name. */
  runs: string;
  /**
   * Threads the backend computes on: for wasm what XNNPACK reports, 1 for cpu, and for
   * the native backends the cores of this process (libtensorflow sizes its own pools).
   */
  threads: number;
}

export interface SelectBackendOptions {
  /**
   * Threads for the wasm backend; default every core this process may use
   * (`os.availableParallelism()`). At most 8 (the threaded build's worker pool). Native
   * backends manage their own threads and ignore it; cpu is single-threaded.
   */
  threads?: number;
}

interface Activated {
  threads: number;
  /** How the backend threads, when worth saying. */
  note?: string;
}

// Dynamic imports through a variable so bundlers and type checks do not require the
// optional native packages to be installed.
async function importOptional(name: string): Promise<void> {
  await import(name);
}

async function setAndReady(tfName: string): Promise<void> {
  if (!(await tf.setBackend(tfName))) throw new Error(`tfjs could not initialize backend "${tfName}"`);
  await tf.ready();
}

async function activateNative(pkg: string): Promise<Activated> {
  await importOptional(pkg);
  await setAndReady('tensorflow');
  return { threads: availableParallelism() };
}

/** wasm: threaded build for threads > 1, single-threaded build otherwise or on failure. */
async function activateWasm(requested: number): Promise<Activated> {
  // Imported here: loading the wasm package registers its backend with tfjs.
  const wt = await import('./backend/wasm-threads.js');
  // The stack of kernels is built from the bottom each time: the addon's come off first, so
  // that a second selection never registers a layer over one that falls back to it.
  unregisterNativeKernels();
  registerWasmConvGradients();
  registerWasmJsKernels();
  // oneDNN (when its addon is built) takes over convolutions and the heaviest ops with its
  // own threads; the threaded wasm build then only slows the remaining small ops down.
  const native = registerNativeKernels({ threads: requested });
  if (native.ok) {
    wt.useSingleThreadedWasm();
    await setAndReady('wasm');
    return { threads: requested, note: `wasm with oneDNN ${native.version} kernels on ${requested} thread${requested === 1 ? '' : 's'}` };
  }
  const threads = Math.min(requested, wt.MAX_WASM_THREADS);
  let why = threads < requested ? `${requested} asked, at most ${wt.MAX_WASM_THREADS}` : '';
  why = [why, `no oneDNN kernels: ${native.reason}`].filter(Boolean).join('; ');
  if (threads > 1) {
    const failure = await startThreaded(wt, threads);
    if (failure === null) {
      const inUse = wt.wasmThreadsInUse();
      // E.g. no SIMD: tfjs then loads the single-threaded build.
      return { threads: inUse, note: onThreads(inUse, inUse < threads ? `${threads} asked` : why) };
    }
    wt.useSingleThreadedWasm();
    why = `the threaded build failed: ${failure}`;
  }
  await setAndReady('wasm');
  const inUse = wt.wasmThreadsInUse();
  return { threads: inUse, note: onThreads(inUse, why) };
}

/** Starts the threaded build; null when it runs, else why not. */
async function startThreaded(wt: typeof import('./backend/wasm-threads.js'), threads: number): Promise<string | null> {
  const unavailable = await wt.threadedWasmUnavailable();
  if (unavailable) return unavailable;
  try {
    if (await wt.initThreadedWasm(threads, () => tf.setBackend('wasm'))) {
      await tf.ready();
      return null;
    }
    return 'tfjs could not initialize it (its error is logged above)';
  } catch (err) {
    return firstLine((err as Error).message ?? String(err));
  }
}

function onThreads(n: number, why: string): string {
  return `wasm on ${n} thread${n === 1 ? '' : 's'}${why ? ` (${why})` : ''}`;
}

const ACTIVATE: Record<ConcreteBackend, (threads: number) => Promise<Activated>> = {
  'tensorflow-gpu': () => activateNative('@tensorflow/tfjs-node-gpu'),
  tensorflow: () => activateNative('@tensorflow/tfjs-node'),
  wasm: activateWasm,
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    await setAndReady('cpu');
    return { threads: 1 };
  },
};

const AUTO_ORDER: ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

async function tryBackend(name: ConcreteBackend, threads: number): Promise<Activated | string> {
  try {
    return await ACTIVATE[name](threads);
  } catch (err) {
    return firstLine((err as Error).message ?? String(err));
  }
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? text;
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

function choice(name: ConcreteBackend, reason: string, activated: Activated): BackendChoice {
  useLeanSaves(); // it checks the active backend at each save
  const full = activated.note ? `${reason}; ${activated.note}` : reason;
  return { name, tfName: tf.getBackend(), reason: full, runs: activated.note ?? name, threads: activated.threads };
}

/** Loads and activates a backend; `auto` takes the first that loads in AUTO_ORDER. */
export async function selectBackend(requested: BackendName, options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (requested !== 'auto') {
    const outcome = await tryBackend(requested, threads);
    if (typeof outcome === 'string') throw new Error(`backend "${requested}" was requested but cannot load: ${outcome}`);
    return choice(requested, `forced with --backend ${requested}`, outcome);
  }
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    const outcome = await tryBackend(name, threads);
    if (typeof outcome !== 'string') {
      return choice(name, skipped.length === 0 ? 'first in auto order' : `auto: ${skipped.join('; ')}`, outcome);
    }
    skipped.push(`${name} unavailable (${outcome})`);
  }
  throw new Error(`no TensorFlow.js backend could load: ${skipped.join('; ')}`);
}
