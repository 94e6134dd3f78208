/**
 * What every SSL method offers the trainer: one optimizer step on two views, and the
 * state that must travel for training to continue elsewhere.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../shared/random.js';
import type { ParamArrays, Params } from '../models/params.js';
import type { Sgd } from '../optim/sgd.js';

/** A method's transferable state: named arrays per component. */
export type MethodState = Record<string, ParamArrays>;

export interface SslMethod {
  /** The online encoder: its backbone is what gets evaluated and handed on. */
  readonly online: Params;
  /** One optimizer step on a batch's two augmented views; returns the loss. */
  step(view1: tf.Tensor4D, view2: tf.Tensor4D, optimizer: Sgd, lr: number, rng: Random): number;
  exportState(): Promise<MethodState>;
  /** Restores a state; refuses one whose names or shapes do not match. */
  importState(state: MethodState): void;
  dispose(): void;
}
