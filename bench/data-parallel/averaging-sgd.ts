/**
 * SGD whose update uses the mean of every replica's gradients (./shared-gradients.ts)
 * instead of this replica's own: a data-parallel step. Each replica computes the
 * gradients of its part of the batch; the methods' losses average over the batch, so
 * with equal parts the mean of the parts' gradients is the whole batch's. Every replica
 * then applies the same update to the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Sgd, type SgdOptions } from '../../client/optim/sgd.js';
import type { SharedGradients } from './shared-gradients.js';

export class AveragingSgd extends Sgd {
  constructor(
    options: SgdOptions,
    private readonly shared: () => SharedGradients,
  ) {
    super(options);
  }

  override apply(params: Map<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void {
    const weights = [...params.values()];
    const parts = weights.map((w) => {
      const g = grads[w.name];
      if (!g) throw new Error(`no gradient for parameter "${w.name}"`);
      return floatsOf(g);
    });
    const mean = this.shared().average(parts);
    const averaged: tf.NamedTensorMap = {};
    let at = 0;
    for (const w of weights) {
      averaged[w.name] = tf.tensor(mean.subarray(at, at + w.size), w.shape, 'float32');
      at += w.size;
    }
    try {
      super.apply(params, averaged, lr);
    } finally {
      tf.dispose(Object.values(averaged));
    }
  }
}

/**
 * A float32 tensor's values: a view of the wasm heap where the tensor lives there (read
 * before the next kernel runs), else a copy. A copy of a large gradient is a fresh block
 * from the C allocator each step, which the clients' malloc settings hand back to the
 * system every time (server/clients/node-process.ts).
 */
function floatsOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return t.dataSync() as Float32Array;
  const wasm = backend as BackendWasm;
  const offset = wasm.dataIdMap.get(t.dataId)?.memoryOffset;
  if (offset === undefined) return t.dataSync() as Float32Array;
  const heap = (wasm.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8;
  return new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
}

/** Floats of all of `params`' gradients: a replica's section of the shared buffer. */
export function gradientFloats(params: Map<string, tf.Variable>): number {
  let n = 0;
  for (const w of params.values()) n += w.size;
  return n;
}
