/**
 * The encoded size of the states a manifest allows, exactly: the coordinator refuses a
 * returned state of any other size before it decodes it, so a blob that would be costly
 * to decode (a huge map, a deep nest) or that carries anything the model has no place for
 * costs it nothing but its bytes.
 *
 * A state's bytes are a msgpack header and its arrays (../array-section.ts): the framing
 * (field names, shapes, the step, a fixed-size reference per array) is measured by
 * encoding the state with every array empty, and each float32 array adds its bytes (they
 * follow one another, 4-byte aligned, with no padding between).
 */
import type { ArrayDecl } from '../model/decls.js';
import type { ParamArrays } from './arrays.js';
import type { GroupsManifest, StateManifest } from './manifest.js';
import { encodeState, type ModelState } from './model-state.js';

/** The smallest and the largest size, in bytes, of an encoded state the manifest allows. */
export interface SizeBounds {
  min: number;
  max: number;
}

/** The exact encoded size of the state holding the given groups of each field. */
function sizeOf(manifest: StateManifest, optimizerGroups: string[] | null, regularizerGroups: string[] | null): number {
  let data = 0;
  const skeleton = (decls: readonly ArrayDecl[]): ParamArrays => {
    const arrays: ParamArrays = {};
    for (const { name, shape } of decls) {
      arrays[name] = { shape, values: new Float32Array(0) };
      data += 4 * shape.reduce((a, b) => a * b, 1);
    }
    return arrays;
  };
  const parts = (m: GroupsManifest, groups: string[]) => Object.fromEntries(groups.map((g) => [g, skeleton(m.groups[g])]));
  const state: ModelState = {
    method: manifest.method,
    step: manifest.step,
    methodState: parts(manifest.methodState, manifest.methodState.variants[0]),
    ...(manifest.partMeta ? { partMeta: manifest.partMeta } : {}),
    optimizer: manifest.optimizer && optimizerGroups ? skeleton(optimizerGroups.flatMap((g) => manifest.optimizer!.groups[g])) : null,
    regularizer: manifest.regularizer && regularizerGroups ? parts(manifest.regularizer, regularizerGroups) : null,
  };
  return encodeState(state).byteLength + data;
}

/**
 * The sizes of the states `manifest` allows: every variant of the optimizer's and the
 * regularizer's groups is measured (there are at most a few).
 */
export function stateSizeBounds(manifest: StateManifest): SizeBounds {
  const sizes: number[] = [];
  for (const o of manifest.optimizer?.variants ?? [null]) {
    for (const r of manifest.regularizer?.variants ?? [null]) sizes.push(sizeOf(manifest, o, r));
  }
  return { min: Math.min(...sizes), max: Math.max(...sizes) };
}
