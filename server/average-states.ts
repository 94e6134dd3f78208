/**
 * Federated averaging of model states, in plain TypeScript (the coordinator has no
 * TensorFlow): every named Float32 array of the method's parts and of the optimizer's
 * momentum is averaged, weighted by each client's training samples.
 *
 * Parts that are not parameters cannot be averaged: MoCo's `queue` (a FIFO of past keys
 * and its write pointer) would become a blur of unrelated keys. Such parts are taken
 * whole from the client that trained on the most samples (the first such, on a tie).
 */
import { decodeState, encodeState, type ModelState } from '../client/engine/state.js';
import type { ParamArrays } from '../client/models/params.js';

/** Method-state parts that are copied from the heaviest client instead of averaged. */
export const NOT_AVERAGED_PARTS: readonly string[] = ['queue'];

export interface WeightedState {
  state: Uint8Array;
  /** Training samples behind this state (its chunk's size). */
  weight: number;
  /** Names the state in errors (e.g. its chunk). */
  label: string;
}

/** The weighted average of encoded model states, encoded. */
export function averageStates(inputs: readonly WeightedState[]): Uint8Array {
  if (inputs.length === 0) throw new Error('averageStates: no states to average');
  const decoded = inputs.map((input) => {
    if (!(input.weight > 0)) throw new Error(`averageStates: ${input.label} has weight ${input.weight}; weights must be positive`);
    try {
      return { ...input, model: decodeState(input.state) };
    } catch (err) {
      throw new Error(`averageStates: ${input.label}: ${(err as Error).message}`, { cause: err });
    }
  });
  const heaviest = decoded.reduce((best, d) => (d.weight > best.weight ? d : best));
  const total = decoded.reduce((sum, d) => sum + d.weight, 0);
  const share = decoded.map((d) => ({ weight: d.weight / total, label: d.label }));
  const first = decoded[0].model;
  for (const d of decoded) {
    if (d.model.method !== first.method) throw new Error(`averageStates: ${d.label} holds a ${d.model.method} state, ${decoded[0].label} a ${first.method} one`);
  }
  const methodState: ModelState['methodState'] = {};
  for (const part of Object.keys(first.methodState)) {
    methodState[part] = NOT_AVERAGED_PARTS.includes(part)
      ? heaviest.model.methodState[part]
      : averageArrays(decoded.map((d) => d.model.methodState[part]), share, `methodState.${part}`);
  }
  const optimizers = decoded.map((d) => d.model.optimizer);
  const optimizer = optimizers.every((o): o is ParamArrays => o !== null) ? averageArrays(optimizers, share, 'optimizer') : null;
  return encodeState({ method: first.method, step: Math.max(...decoded.map((d) => d.model.step)), methodState, optimizer, regularizer: null });
}

/** Weighted sum of same-named, same-shaped arrays; a missing or mismatched one is named. */
function averageArrays(sets: ReadonlyArray<ParamArrays | undefined>, share: ReadonlyArray<{ weight: number; label: string }>, where: string): ParamArrays {
  const reference = sets[0];
  if (!reference) throw new Error(`averageStates: ${share[0].label} has no ${where}`);
  const out: ParamArrays = {};
  for (const [name, { shape, values }] of Object.entries(reference)) {
    const sum = new Float32Array(values.length);
    sets.forEach((set, i) => {
      const entry = set?.[name];
      if (!entry || entry.values.length !== values.length) {
        throw new Error(`averageStates: ${share[i].label} ${where}.${name} is ${entry ? `[${entry.shape}]` : 'missing'}, ${share[0].label} has [${shape}]`);
      }
      const w = share[i].weight;
      for (let j = 0; j < sum.length; j++) sum[j] += w * entry.values[j];
    });
    out[name] = { shape: [...shape], values: sum };
  }
  return out;
}
