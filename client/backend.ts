/**
 * Chooses the fastest TensorFlow.js backend this process can load.
 *
 * Auto order: tensorflow-gpu (libtensorflow with CUDA), tensorflow (libtensorflow CPU),
 * wasm, cpu. The native packages are optional: where they are not installed, or their
 * native library is missing, they fail to import and the next one is tried. A forced
 * backend that cannot load is an error, never a silent fallback.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle has no gradient functions; the union package registers them
// (native backends depend on it anyway).
import '@tensorflow/tfjs';
import type { BackendName } from '../shared/scenario.js';
import { registerWasmConvGradients } from './kernels/wasm-conv-grads.js';

export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export interface BackendChoice {
  /** The backend name as the CLI spells it. */
  name: ConcreteBackend;
  /** The name tfjs registered it under. */
  tfName: string;
  /** Why this one: what was tried before it and why that failed. */
  reason: string;
}

interface Loader {
  tfName: string;
  load(): Promise<void>;
}

// Dynamic imports through a variable so bundlers and type checks do not require the
// optional native packages to be installed.
async function importOptional(name: string): Promise<void> {
  await import(name);
}

const LOADERS: Record<ConcreteBackend, Loader> = {
  'tensorflow-gpu': { tfName: 'tensorflow', load: () => importOptional('@tensorflow/tfjs-node-gpu') },
  tensorflow: { tfName: 'tensorflow', load: () => importOptional('@tensorflow/tfjs-node') },
  wasm: {
    tfName: 'wasm',
    load: async () => {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmConvGradients();
    },
  },
  cpu: { tfName: 'cpu', load: async () => void (await import('@tensorflow/tfjs-backend-cpu')) },
};

const AUTO_ORDER: ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

async function tryBackend(name: ConcreteBackend): Promise<string | null> {
  const loader = LOADERS[name];
  try {
    await loader.load();
    const ok = await tf.setBackend(loader.tfName);
    if (!ok) return `tfjs could not initialize backend "${loader.tfName}"`;
    await tf.ready();
    return null;
  } catch (err) {
    return firstLine((err as Error).message ?? String(err));
  }
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? text;
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** Loads and activates a backend; `auto` takes the first that loads in AUTO_ORDER. */
export async function selectBackend(requested: BackendName): Promise<BackendChoice> {
  if (requested !== 'auto') {
    const failure = await tryBackend(requested);
    if (failure) throw new Error(`backend "${requested}" was requested but cannot load: ${failure}`);
    return { name: requested, tfName: tf.getBackend(), reason: `forced with --backend ${requested}` };
  }
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    const failure = await tryBackend(name);
    if (!failure) {
      const reason = skipped.length === 0 ? 'first in auto order' : `auto: ${skipped.join('; ')}`;
      return { name, tfName: tf.getBackend(), reason };
    }
    skipped.push(`${name} unavailable (${failure})`);
  }
  throw new Error(`no TensorFlow.js backend could load: ${skipped.join('; ')}`);
}
