/**
 * The sizes of the states a train task may return, or be handed, from its declarations
 * alone (./manifest.ts, ./state-size.ts): the coordinator refuses a returned state of any
 * other size undecoded, and both sides bound what a compressed or float16 state may expand
 * to by them, instead of by the 2 GiB limit of any blob.
 */
import { datasetGeometry } from '../dataset-geometry.js';
import type { TrainTask } from '../tasks.js';
import { stateManifest, type ManifestTask } from './manifest.js';
import { geometryRange } from './manifest-geometry.js';
import { stateSizeBounds } from './state-size.js';

/** What of a train task its state's size follows from. */
export type SizedTask = ManifestTask & Pick<TrainTask, 'data'>;

/** The sizes of the states `task` may return, for every geometry its dataset spec leaves open. */
export function taskStateSizeRange(task: SizedTask): { min: number; max: number } {
  const { low, high } = geometryRange(datasetGeometry(task.data.dataset));
  return { min: stateSizeBounds(stateManifest(task, low)).min, max: stateSizeBounds(stateManifest(task, high)).max };
}

/**
 * The largest state `task` may be handed: one its previous stage returned, of the same
 * model, optimizer and regularizer, which may (or may not) have ended its stage.
 */
export function maxHandedStateBytes(task: SizedTask): number {
  return Math.max(taskStateSizeRange({ ...task, endsStage: true }).max, taskStateSizeRange({ ...task, endsStage: false }).max);
}
