/**
 * Named parameter tensors. Models are plain functions over a `Params` map, so the online
 * encoder, the momentum encoder and a frozen copy are the same code over different maps,
 * and a state is just the maps' named arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamDecl } from '../../shared/model/decls.js';
import { paramDistribution, type InitScheme } from '../../shared/model/init.js';
import type { NamedArray, ParamArrays } from '../../shared/state/arrays.js';

export type { ParamDecl };

/** Parameters by name: trainable weights and non-trainable buffers (batch-norm statistics). */
export interface Params {
  trainable: Map<string, tf.Variable>;
  buffers: Map<string, tf.Variable>;
}

/** A deterministic 32-bit seed per parameter, so every client initializes identically. */
function paramSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function initialValue(decl: ParamDecl, seed: number, scheme: InitScheme): tf.Tensor {
  const d = paramDistribution(decl, scheme);
  switch (d.kind) {
    case 'constant':
      return tf.fill(decl.shape, d.value);
    case 'normal':
      return tf.randomNormal(decl.shape, 0, d.std, 'float32', paramSeed(seed, decl.name));
    case 'uniform':
      return tf.randomUniform(decl.shape, -d.bound, d.bound, 'float32', paramSeed(seed, decl.name));
  }
}

/**
 * A float32 variable made from the tensor `make` returns, which it then owns alone.
 * tf.variable shares its initial value's memory: a value left beside it (neither disposed
 * nor made in a tidy) holds that memory for good once the variable is assigned, a leak
 * of the variable's size (a restored optimizer lost the encoder's size per stage that way).
 */
export function ownedVariable(make: () => tf.Tensor, trainable: boolean): tf.Variable {
  return tf.tidy(() => tf.variable(make(), trainable, undefined, 'float32'));
}

/** Creates variables for every declaration, drawn as `scheme` says (../../shared/model/init.ts), seeded per name. */
export function createParams(decls: readonly ParamDecl[], seed: number, scheme: InitScheme): Params {
  const params: Params = { trainable: new Map(), buffers: new Map() };
  for (const decl of decls) {
    (decl.trainable ? params.trainable : params.buffers).set(decl.name, ownedVariable(() => initialValue(decl, seed, scheme), decl.trainable));
  }
  return params;
}

/** Copies of every parameter (trainable and buffers) as new, non-trainable variables. */
export function cloneParams(source: Params): Params {
  const copy = (m: Map<string, tf.Variable>) => new Map([...m].map(([k, v]) => [k, tf.variable(v, false)] as const));
  return { trainable: copy(source.trainable), buffers: copy(source.buffers) };
}

/** Looks a parameter up in either map; a missing name is a programming error. */
export function param(p: Params, name: string): tf.Variable {
  const v = p.trainable.get(name) ?? p.buffers.get(name);
  if (!v) throw new Error(`model has no parameter "${name}"`);
  return v;
}

export function disposeParams(p: Params): void {
  for (const v of p.trainable.values()) v.dispose();
  for (const v of p.buffers.values()) v.dispose();
}

/** Reads every parameter's values out of the backend. */
export async function paramsToArrays(p: Params): Promise<ParamArrays> {
  const out: ParamArrays = {};
  for (const [name, v] of [...p.trainable, ...p.buffers]) {
    out[name] = { shape: v.shape.slice(), values: (await v.data()) as Float32Array };
  }
  return out;
}

/**
 * Overwrites parameters from arrays. Every parameter must be present with its exact
 * shape and finite values: a state from another model, or a corrupted one, is refused.
 */
export function assignParams(p: Params, arrays: ParamArrays, what: string): void {
  const expected = [...p.trainable.keys(), ...p.buffers.keys()];
  const missing = expected.filter((n) => !(n in arrays));
  if (missing.length > 0) throw new Error(`${what}: missing parameters ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  for (const name of expected) {
    const target = param(p, name);
    const { shape, values } = arrays[name];
    checkArrayFits(arrays[name], target, `${what}: parameter "${name}"`);
    tf.tidy(() => target.assign(tf.tensor(values, shape, 'float32')));
  }
}

/**
 * Throws unless `array` has exactly the shape of `target` and only finite values; the
 * message starts with `what` and names both shapes, or the first bad value.
 */
export function checkArrayFits(array: NamedArray, target: tf.Tensor, what: string): void {
  const { shape, values } = array;
  if (shape.length !== target.shape.length || shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`${what} has shape [${shape}] but the model expects [${target.shape}]`);
  }
  if (values.length !== target.size) throw new Error(`${what} has ${values.length} values, expected ${target.size}`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what} holds a non-finite value (${values[i]}) at index ${i}`);
  }
}
