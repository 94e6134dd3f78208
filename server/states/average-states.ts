/**
 * Federated averaging of model states, in plain TypeScript (the coordinator has no
 * TensorFlow): every named Float32 array of the method's parts and of the optimizer's
 * momentum is averaged, weighted by each client's training samples.
 *
 * What the states say of their parts (shared/state/part-meta.ts) decides the exceptions,
 * not part names: a part to be taken whole (MoCo's queue, a FIFO of past keys that
 * averaging would blur into unrelated keys) comes from the client that trained on the
 * most samples (the first such, on a tie), and so does a position array in an averaged
 * part; an array of unit rows is averaged and its rows scaled back to unit length.
 */
import type { ParamArrays } from '../../shared/state/arrays.js';
import { encodeState, type ModelState } from '../../shared/state/model-state.js';
import { arrayKind, describePartsMeta, partMetaOf, type ArrayKind } from '../../shared/state/part-meta.js';
import { normalizeRows } from '../../shared/state/rows.js';
import { decodedState, keepDecoded } from './decoded-states.js';

export interface WeightedState {
  state: Uint8Array;
  /** Training samples behind this state (its chunk's size). */
  weight: number;
  /** Names the state in errors (e.g. its chunk). */
  label: string;
}

/** Each state's share of the average, and its name in errors. */
type Shares = ReadonlyArray<{ weight: number; label: string }>;

/**
 * The weighted average of encoded model states, encoded. States the coordinator checked
 * are not decoded again (./decoded-states.ts), and the average is kept decoded for the
 * check of the results it is handed out to.
 */
export function averageStates(inputs: readonly WeightedState[]): Uint8Array {
  if (inputs.length === 0) throw new Error('averageStates: no states to average');
  const decoded = inputs.map((input) => {
    if (!(input.weight > 0)) throw new Error(`averageStates: ${input.label} has weight ${input.weight}; weights must be positive`);
    try {
      return { ...input, model: decodedState(input.state) };
    } catch (err) {
      throw new Error(`averageStates: ${input.label}: ${(err as Error).message}`, { cause: err });
    }
  });
  const heaviest = decoded.reduce((best, d, i) => (d.weight > decoded[best].weight ? i : best), 0);
  const total = decoded.reduce((sum, d) => sum + d.weight, 0);
  const share = decoded.map((d) => ({ weight: d.weight / total, label: d.label }));
  const first = decoded[0].model;
  const meta = describePartsMeta(first.partMeta);
  for (const d of decoded) {
    if (d.model.method !== first.method) throw new Error(`averageStates: ${d.label} holds a ${d.model.method} state, ${decoded[0].label} a ${first.method} one`);
    const own = describePartsMeta(d.model.partMeta);
    if (own !== meta) throw new Error(`averageStates: ${d.label} describes its parts as "${own}", ${decoded[0].label} as "${meta}"`);
  }
  const methodState: ModelState['methodState'] = {};
  for (const part of Object.keys(first.methodState)) {
    const sets = decoded.map((d) => d.model.methodState[part]);
    methodState[part] =
      partMetaOf(first.partMeta, part).combine === 'whole'
        ? takeWhole(sets, heaviest, share, `methodState.${part}`)
        : averageArrays(sets, share, `methodState.${part}`, { heaviest, kind: (name) => arrayKind(first.partMeta, part, name) });
  }
  const optimizers = decoded.map((d) => d.model.optimizer);
  const optimizer = optimizers.every((o): o is ParamArrays => o !== null) ? averageArrays(optimizers, share, 'optimizer', { heaviest }) : null;
  const averaged: ModelState = {
    method: first.method,
    step: Math.max(...decoded.map((d) => d.model.step)),
    methodState,
    ...(first.partMeta ? { partMeta: first.partMeta } : {}),
    optimizer,
    regularizer: null,
  };
  const bytes = encodeState(averaged);
  keepDecoded(bytes, averaged);
  return bytes;
}

function takeWhole(sets: ReadonlyArray<ParamArrays | undefined>, from: number, share: Shares, where: string): ParamArrays {
  const set = sets[from];
  if (!set) throw new Error(`averageStates: ${share[from].label} has no ${where}`);
  return set;
}

/**
 * Weighted sum of same-named, same-shaped arrays; a missing or mismatched one is named.
 * Positions are taken from the heaviest state, unit rows scaled back to unit length.
 */
function averageArrays(
  sets: ReadonlyArray<ParamArrays | undefined>,
  share: Shares,
  where: string,
  o: { heaviest: number; kind?: (name: string) => ArrayKind | 'quantity' },
): ParamArrays {
  const reference = sets[0];
  if (!reference) throw new Error(`averageStates: ${share[0].label} has no ${where}`);
  const out: ParamArrays = {};
  for (const [name, { shape, values }] of Object.entries(reference)) {
    const entries = sets.map((set, i) => {
      const entry = set?.[name];
      if (!entry || entry.values.length !== values.length) {
        throw new Error(`averageStates: ${share[i].label} ${where}.${name} is ${entry ? `[${entry.shape}]` : 'missing'}, ${share[0].label} has [${shape}]`);
      }
      return entry;
    });
    const kind = o.kind?.(name) ?? 'quantity';
    if (kind === 'position') {
      out[name] = entries[o.heaviest];
      continue;
    }
    const sum = new Float32Array(values.length);
    entries.forEach((entry, i) => {
      const w = share[i].weight;
      for (let j = 0; j < sum.length; j++) sum[j] += w * entry.values[j];
    });
    if (kind === 'unit-rows') normalizeRows(sum, shape[1]);
    out[name] = { shape: [...shape], values: sum };
  }
  return out;
}
