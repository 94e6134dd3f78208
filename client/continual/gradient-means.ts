/**
 * Per-parameter means, over batches, of a function of the gradients: MAS averages
 * absolute gradients, EWC squared ones. The running sums live in the backend; the means
 * come back as named arrays, the form importances travel in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import { ownedVariable, type Params } from '../models/params.js';

export class GradientMeans {
  private readonly sums: Map<string, tf.Variable>;
  private batches = 0;

  constructor(online: Params) {
    this.sums = new Map([...online.trainable].map(([name, w]) => [name, ownedVariable(() => tf.zerosLike(w), false)] as const));
  }

  /** Adds one batch: `of(g)` for every parameter whose gradient `gradient(name)` gives (others add nothing). */
  add(gradient: (name: string) => tf.Tensor | undefined, of: (g: tf.Tensor) => tf.Tensor): void {
    tf.tidy(() => {
      for (const [name, sum] of this.sums) {
        const g = gradient(name);
        if (g) sum.assign(tf.add(sum, of(g)));
      }
    });
    this.batches++;
  }

  /** The means, freeing the sums; throws `noBatches` when no batch was added. */
  async means(noBatches: string): Promise<ParamArrays> {
    if (this.batches === 0) {
      this.dispose();
      throw new Error(noBatches);
    }
    const out: ParamArrays = {};
    for (const [name, sum] of this.sums) {
      const mean = tf.div(sum, this.batches);
      out[name] = { shape: sum.shape.slice(), values: (await mean.data()) as Float32Array };
      tf.dispose([mean, sum]);
    }
    this.sums.clear();
    return out;
  }

  dispose(): void {
    for (const sum of this.sums.values()) sum.dispose();
    this.sums.clear();
  }
}
