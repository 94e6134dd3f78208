/**
 * One MoCo-v2 step cut into timed phases, for the bench's breakdown. It replays the
 * operations of `MocoV2.step` (client/ssl/moco-v2.ts, client/ssl/gradient-step.ts) from
 * the same building blocks (emaUpdate, embed, infoNce, Sgd, updateRunningStats) on the
 * method's online encoder, with its own key-encoder copy and queue, and forces a sync at
 * every phase boundary so each time is the work of that phase. The only extra work is
 * one online forward without gradient (counted in `forward`): backward is the time of
 * leanVariableGrads (as the step takes its gradients) over the online forward and loss,
 * minus that forward. The whole-step
 * figure comes from the real `MocoV2.step` in the throughput loop; the report shows both.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../shared/random.js';
import type { SslSpecOf } from '../shared/scenario.js';
import type { AugmentOptions } from '../client/data/augment.js';
import type { Normalization } from '../client/data/normalization.js';
import { twoViews, type ImagePool } from '../client/data/augment-cpu.js';
import { embed, l2Normalize, type EncoderOptions } from '../client/models/encoder.js';
import { updateRunningStats, type BatchStat } from '../client/models/layers.js';
import { cloneParams, disposeParams, type Params } from '../client/models/params.js';
import { leanVariableGrads } from '../client/optim/lean-grads.js';
import type { Sgd } from '../client/optim/sgd.js';
import { emaUpdate } from '../client/ssl/ema.js';
import { infoNce } from '../client/ssl/losses.js';

/** Milliseconds of each phase of one step. */
export interface PhaseMs {
  data: number;
  forward: number;
  backward: number;
  optimizer: number;
}

export interface PhaseContext {
  pool: ImagePool;
  augment: AugmentOptions;
  norm: Normalization;
  seed: number;
  encoder: EncoderOptions;
  ssl: SslSpecOf<'moco-v2'>;
  optimizer: Sgd;
  lr: number;
  rng: Random;
}

/** Waits for `t` to be computed by reading one of its values back. */
export function syncOn(t: tf.Tensor): void {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  one.dataSync();
  one.dispose();
}

/** Times the phases of MoCo steps on `online`; call dispose() when done. */
export class PhaseTimer {
  private readonly key: Params;
  private readonly queue: tf.Variable;
  private queuePtr = 0;

  constructor(
    private readonly online: Params,
    private readonly c: PhaseContext,
  ) {
    this.key = cloneParams(online);
    this.queue = tf.variable(
      tf.tidy(() => l2Normalize(tf.randomNormal([c.ssl.queueSize, c.encoder.outputDim], 0, 1, 'float32', c.seed))),
      false,
    );
  }

  /** One step on the images at `indices` (batch number `batchIndex` seeds the augmentation). */
  step(indices: ArrayLike<number>, batchIndex: number): PhaseMs {
    const { c } = this;
    const mode = { training: true, bnGroups: c.ssl.bnGroups };
    let t = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - t;
      t = now;
      return ms;
    };

    const { view1: a, view2: b } = twoViews(c.pool, indices, c.augment, c.norm, c.seed, batchIndex);
    const shape: [number, number, number, number] = [indices.length, c.augment.size, c.augment.size, c.pool.channels];
    const view1 = tf.tensor4d(a, shape);
    const view2 = tf.tensor4d(b, shape);
    syncOn(view2);
    const data = lap();

    emaUpdate(this.key, this.online, c.ssl.momentum);
    syncOn(this.lastKeyParam());
    const momentumMs = lap();

    const keys = this.keys(view2);
    syncOn(keys);
    const keyForward = lap();
    const loss = tf.tidy(() => infoNce(embed(this.online, c.encoder, view1, mode), keys, this.queue as tf.Tensor2D, c.ssl.temperature));
    loss.dataSync();
    loss.dispose();
    const onlineForward = lap();

    const stats: BatchStat[] = [];
    const trainable = [...this.online.trainable.values()];
    const { value, grads } = leanVariableGrads(
      () => infoNce(embed(this.online, c.encoder, view1, { ...mode, stats }), keys, this.queue as tf.Tensor2D, c.ssl.temperature),
      trainable,
    );
    value.dataSync();
    // Backprop reaches the stem last.
    syncOn(grads[trainable[0].name]);
    const gradients = lap();

    c.optimizer.apply(this.online.trainable, grads, c.lr);
    updateRunningStats(this.online, stats);
    this.enqueue(keys);
    syncOn(trainable[trainable.length - 1]);
    syncOn(this.queue);
    const optimizer = lap() + momentumMs;

    tf.dispose([view1, view2, keys, value, ...Object.values(grads)]);
    return { data, forward: keyForward + onlineForward, backward: Math.max(0, gradients - onlineForward), optimizer };
  }

  dispose(): void {
    disposeParams(this.key);
    this.queue.dispose();
  }

  private lastKeyParam(): tf.Variable {
    return [...this.key.trainable.values()].at(-1)!;
  }

  // keys() and enqueue() do what MocoV2's private methods of the same names do.

  private keys(view: tf.Tensor4D): tf.Tensor2D {
    const n = view.shape[0];
    const perm = this.c.rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const inverse = new Array<number>(n);
    perm.forEach((p, i) => (inverse[p] = i));
    return tf.tidy(() => {
      const shuffled = tf.gather(view, tf.tensor1d(perm, 'int32'));
      const k = embed(this.key, this.c.encoder, shuffled, { training: true, bnGroups: this.c.ssl.bnGroups });
      return tf.gather(k, tf.tensor1d(inverse, 'int32'));
    });
  }

  /** The same slices and concat as MocoV2's enqueue; a batch that would wrap starts over at 0 (same cost). */
  private enqueue(keys: tf.Tensor2D): void {
    const size = this.c.ssl.queueSize;
    const n = Math.min(keys.shape[0], size);
    if (this.queuePtr + n > size) this.queuePtr = 0;
    const end = this.queuePtr + n;
    tf.tidy(() => {
      const incoming = tf.slice(keys, [0, 0], [n, -1]);
      this.queue.assign(tf.concat([tf.slice(this.queue, [0, 0], [this.queuePtr, -1]), incoming, tf.slice(this.queue, [end, 0], [size - end, -1])]));
    });
    this.queuePtr = end % size;
  }
}
