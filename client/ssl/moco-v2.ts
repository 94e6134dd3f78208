/**
 * MoCo v2: momentum contrast with an MLP head and stronger augmentation.
 * Chen et al. 2020, "Improved Baselines with Momentum Contrastive Learning",
 * https://arxiv.org/abs/2003.04297 (MoCo: https://arxiv.org/abs/1911.05722).
 *
 * The key encoder is an exponential moving average of the online one; keys of past
 * batches wait in a queue as negatives. The key batch is shuffled before its ghost
 * batch-norm groups are formed (MoCo's shuffle-BN on one device), so a query and its
 * positive key rarely share batch statistics and the loss cannot be lowered by
 * reading them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { MethodState } from '../../shared/state/arrays.js';
import { SSL_LAYOUTS, MOCO_PART_META } from '../../shared/ssl-layout.js';
import { embed, l2Normalize, type EncoderOptions } from '../models/encoder.js';
import { assignParams, cloneParams, createParams, disposeParams, ownedVariable, paramsToArrays, type Params } from '../models/params.js';
import { projectionForward } from '../models/projection.js';
import { backboneForward } from '../models/resnet.js';
import type { Sgd } from '../optim/sgd.js';
import { emaUpdate } from './ema.js';
import { evaluateObjective, gradientStep, type Objective } from './gradient-step.js';
import { infoNce, ntXent, unitRows } from './losses.js';
import type { ExtraLoss, TrainBatch, SslMethod } from './method.js';

export interface MocoOptions {
  encoder: EncoderOptions;
  temperature: number;
  queueSize: number;
  /** EMA coefficient of the key encoder. */
  momentum: number;
  bnGroups: number;
}

export class MocoV2 implements SslMethod {
  readonly online: Params;
  /** The queue is taken whole, not averaged (see MOCO_PART_META). */
  readonly partMeta = MOCO_PART_META;
  private readonly key: Params;
  private readonly queue: tf.Variable;
  private queuePtr = 0;

  constructor(
    private readonly options: MocoOptions,
    seed: number,
  ) {
    this.online = createParams(SSL_LAYOUTS['moco-v2'](options.encoder, options).online, seed, options.encoder.init);
    this.key = cloneParams(this.online);
    // Random unit vectors, as MoCo starts its queue.
    this.queue = ownedVariable(() => l2Normalize(tf.randomNormal([options.queueSize, options.encoder.outputDim], 0, 1, 'float32', seed + 1)), false);
  }

  step(batch: TrainBatch, optimizer: Sgd, lr: number, rng: Random, extra?: ExtraLoss): number {
    emaUpdate(this.key, this.online, this.options.momentum);
    return this.withObjective(batch, rng, (objective, keys) => {
      const { bnGroups } = this.options;
      const loss = gradientStep({ online: this.online, optimizer, lr, bnGroups, view1: batch.view1, extra }, objective);
      this.enqueue(keys);
      return loss;
    });
  }

  /** Contrastive, as its own loss: NT-Xent between the unit predicted and frozen representations. */
  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    return ntXent(unitRows(predicted), unitRows(frozen), this.options.temperature);
  }

  evaluateLoss(batch: TrainBatch, rng: Random): number {
    return this.withObjective(batch, rng, (objective) => evaluateObjective(this.options.bnGroups, objective));
  }

  /**
   * InfoNCE of the online queries against the current key encoder's keys and the queue,
   * handed to `use` with the keys (freed after it).
   */
  private withObjective<T>({ view1, view2 }: TrainBatch, rng: Random, use: (objective: Objective, keys: tf.Tensor2D) => T): T {
    const keys = this.keys(view2, rng);
    try {
      const { encoder, temperature } = this.options;
      return use((mode) => {
        const representation = backboneForward(this.online, encoder.backbone, view1, mode);
        const q = l2Normalize(projectionForward(this.online, representation));
        return { loss: infoNce(q, keys, this.queue as tf.Tensor2D, temperature), representation };
      }, keys);
    } finally {
      keys.dispose();
    }
  }

  /** Keys of the second view from the momentum encoder, with the batch shuffled for BN. */
  private keys(view: tf.Tensor4D, rng: Random): tf.Tensor2D {
    const n = view.shape[0];
    const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const inverse = new Array<number>(n);
    perm.forEach((p, i) => (inverse[p] = i));
    return tf.tidy(() => {
      const shuffled = tf.gather(view, tf.tensor1d(perm, 'int32'));
      const k = embed(this.key, this.options.encoder, shuffled, { training: true, bnGroups: this.options.bnGroups });
      return tf.gather(k, tf.tensor1d(inverse, 'int32'));
    });
  }

  private enqueue(keys: tf.Tensor2D): void {
    const size = this.options.queueSize;
    const n = Math.min(keys.shape[0], size);
    tf.tidy(() => {
      const incoming = tf.slice(keys, [0, 0], [n, -1]);
      const end = this.queuePtr + n;
      let next: tf.Tensor;
      if (end <= size) {
        next = tf.concat([tf.slice(this.queue, [0, 0], [this.queuePtr, -1]), incoming, tf.slice(this.queue, [end, 0], [size - end, -1])]);
      } else {
        const wrap = end - size;
        next = tf.concat([tf.slice(incoming, [n - wrap, 0], [wrap, -1]), tf.slice(this.queue, [wrap, 0], [this.queuePtr - wrap, -1]), tf.slice(incoming, [0, 0], [n - wrap, -1])]);
      }
      this.queue.assign(next);
    });
    this.queuePtr = (this.queuePtr + n) % size;
  }

  async exportState(): Promise<MethodState> {
    return {
      online: await paramsToArrays(this.online),
      key: await paramsToArrays(this.key),
      queue: {
        queue: { shape: this.queue.shape.slice(), values: (await this.queue.data()) as Float32Array },
        pointer: { shape: [1], values: new Float32Array([this.queuePtr]) },
      },
    };
  }

  importState(state: MethodState): void {
    for (const part of ['online', 'key', 'queue'] as const) {
      if (!state[part]) throw new Error(`MoCo state: missing "${part}"`);
    }
    assignParams(this.online, state.online, 'MoCo online encoder');
    assignParams(this.key, state.key, 'MoCo key encoder');
    const queue = state.queue.queue;
    if (!queue || queue.shape[0] !== this.queue.shape[0] || queue.shape[1] !== this.queue.shape[1]) {
      throw new Error(`MoCo state: queue of shape [${queue?.shape}] does not match [${this.queue.shape}]`);
    }
    tf.tidy(() => this.queue.assign(tf.tensor(queue.values, queue.shape)));
    const pointer = state.queue.pointer?.values[0] ?? 0;
    if (!Number.isInteger(pointer) || pointer < 0 || pointer >= this.queue.shape[0]) throw new Error(`MoCo state: queue pointer ${pointer} out of range`);
    this.queuePtr = pointer;
  }

  dispose(): void {
    disposeParams(this.online);
    disposeParams(this.key);
    this.queue.dispose();
  }
}
