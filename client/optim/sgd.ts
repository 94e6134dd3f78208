/**
 * SGD with momentum and weight decay (PyTorch's formulation), with momentum buffers
 * that can be exported and restored so they may travel with the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import { sgdMomentumStep } from '../kernels/optim-ops.js';
import { checkArrayFits, ownedVariable } from '../models/params.js';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
}

export class Sgd {
  private readonly velocity = new Map<string, tf.Variable>();

  constructor(private readonly options: SgdOptions) {}

  /**
   * One update: v = m*v + (g + wd*w); w -= lr*v. `grads` is keyed by each variable's
   * engine name (as tf.variableGrads returns it), buffers by parameter name.
   * Disposes nothing it was given.
   */
  apply(params: Map<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void {
    const { momentum, weightDecay } = this.options;
    tf.tidy(() => {
      for (const [name, w] of params) {
        const g = grads[w.name];
        if (!g) throw new Error(`no gradient for parameter "${name}"`);
        let v = this.velocity.get(name);
        if (!v) {
          v = ownedVariable(() => tf.zerosLike(w), false);
          this.velocity.set(name, v);
        }
        // One kernel per parameter where the backend has it: the same bits (../kernels/optim-ops.ts).
        const next = sgdMomentumStep(w, g, v, { lr, momentum, weightDecay });
        v.assign(next.v);
        w.assign(next.w);
      }
    });
  }

  async exportState(): Promise<ParamArrays> {
    const out: ParamArrays = {};
    for (const [name, v] of this.velocity) out[name] = { shape: v.shape.slice(), values: (await v.data()) as Float32Array };
    return out;
  }

  /** Restores buffers for parameters that exist; others start at zero. */
  importState(state: ParamArrays, params: Map<string, tf.Variable>): void {
    for (const [name, array] of Object.entries(state)) {
      const { shape, values } = array;
      const w = params.get(name);
      if (!w) throw new Error(`optimizer state: the model has no parameter "${name}"`);
      checkArrayFits(array, w, `optimizer state: momentum buffer "${name}"`);
      this.velocity.get(name)?.dispose();
      this.velocity.set(name, ownedVariable(() => tf.tensor(values, shape), false));
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}
