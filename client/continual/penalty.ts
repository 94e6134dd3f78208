/**
 * The quadratic anchor penalty shared by MAS and EWC:
 * lambda/2 * sum_i importance_i * (theta_i - anchor_i)^2.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { Params } from '../models/params.js';

/** Importances and anchor weights as tensors, ready to be used in every step of a stage. */
export interface AnchoredImportance {
  importance: Map<string, tf.Tensor>;
  anchor: Map<string, tf.Tensor>;
}

/** Uploads arrays to tensors; names must be parameters of `online` with the same shapes. */
export function toAnchored(online: Params, importance: ParamArrays, anchor: ParamArrays, what: string): AnchoredImportance {
  const out: AnchoredImportance = { importance: new Map(), anchor: new Map() };
  for (const [name, imp] of Object.entries(importance)) {
    const w = online.trainable.get(name);
    const a = anchor[name];
    if (!w || !a) throw new Error(`${what}: "${name}" is not a trainable parameter of the model, or has no anchor`);
    if (imp.values.length !== w.size || a.values.length !== w.size) throw new Error(`${what}: "${name}" does not match the model's shape [${w.shape}]`);
    out.importance.set(name, tf.tensor(imp.values, w.shape));
    out.anchor.set(name, tf.tensor(a.values, w.shape));
  }
  return out;
}

export function disposeAnchored(a: AnchoredImportance): void {
  for (const t of [...a.importance.values(), ...a.anchor.values()]) t.dispose();
}

/** The penalty at the current weights of `online`; differentiable in them. */
export function anchorPenalty(online: Params, anchored: AnchoredImportance, lambda: number): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    for (const [name, importance] of anchored.importance) {
      const w = online.trainable.get(name)!;
      total = tf.add(total, tf.sum(tf.mul(importance, tf.square(tf.sub(w, anchored.anchor.get(name)!)))));
    }
    return tf.mul(total, lambda / 2) as tf.Scalar;
  });
}

/**
 * Importances scaled so the largest is 1. Raw MAS importances and Fisher values scale
 * with the representation and the loss, and a few parameters (batch-norm scales, often)
 * can outweigh the mean by orders of magnitude; scaled by the largest, the penalty's pull
 * on any weight is at most lambda * (theta - anchor), so SGD stays stable whenever
 * lr * lambda < 2, for any model.
 */
export function normalizeMax(importance: ParamArrays): ParamArrays {
  let max = 0;
  for (const { values } of Object.values(importance)) {
    for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  }
  if (!(max > 0) || !Number.isFinite(max)) return importance;
  const out: ParamArrays = {};
  for (const [name, { shape, values }] of Object.entries(importance)) out[name] = { shape, values: values.map((v) => v / max) };
  return out;
}

/** Element-wise sum of two importance maps (a parameter missing from one counts as zero there). */
export function addImportance(a: ParamArrays | null, b: ParamArrays): ParamArrays {
  if (!a) return b;
  const out: ParamArrays = { ...a };
  for (const [name, entry] of Object.entries(b)) {
    const prev = a[name];
    if (!prev) {
      out[name] = entry;
      continue;
    }
    const values = new Float32Array(entry.values.length);
    for (let i = 0; i < values.length; i++) values[i] = prev.values[i] + entry.values[i];
    out[name] = { shape: entry.shape, values };
  }
  return out;
}
