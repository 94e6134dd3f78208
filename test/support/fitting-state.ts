/** Test helper: a model state that fits a task's manifest exactly, to be tampered with. */
import { stateManifest, type GroupsManifest, type ManifestTask, type ModelGeometry } from '../../shared/state/manifest.js';
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { ModelState } from '../../shared/state/model-state.js';
import type { ArrayDecl } from '../../shared/model/decls.js';

function arrays(decls: readonly ArrayDecl[]): ParamArrays {
  return Object.fromEntries(decls.map(({ name, shape }) => [name, { shape: [...shape], values: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) }]));
}

function parts(m: GroupsManifest, variant: string[]): Record<string, ParamArrays> {
  return Object.fromEntries(variant.map((group) => [group, arrays(m.groups[group])]));
}

/** The state `task` must return (the last, largest variant of each optional field), every value 0.5 (MoCo's pointer 0). */
export function fittingState(task: ManifestTask, geometry: ModelGeometry = { channels: 1, numClasses: 10 }): ModelState {
  const m = stateManifest(task, geometry);
  const last = (g: GroupsManifest) => g.variants[g.variants.length - 1];
  const state: ModelState = {
    method: m.method,
    step: m.step,
    methodState: parts(m.methodState, m.methodState.variants[0]),
    ...(m.partMeta ? { partMeta: m.partMeta } : {}),
    optimizer: m.optimizer ? arrays(last(m.optimizer).flatMap((g) => m.optimizer!.groups[g])) : null,
    regularizer: m.regularizer ? parts(m.regularizer, last(m.regularizer)) : null,
  };
  if (state.methodState.queue?.pointer) state.methodState.queue.pointer.values.fill(0);
  return state;
}
