/**
 * The state a train task must return, as its task determines it: the method, the step it
 * ends at, every part of the method's state (../ssl-layout.ts), the optimizer's momentum
 * buffers and the regularizer's components (../model/regularizer-layout.ts), each with
 * its arrays' names and shapes (every array is float32). Pure and without TensorFlow.js:
 * the coordinator checks every returned state against it (./manifest-check.ts), and
 * refuses one of the wrong size before decoding it (./state-size.ts).
 */
import type { DatasetGeometry } from '../dataset-geometry.js';
import type { ArrayDecl } from '../model/decls.js';
import { encoderOptions } from '../model/encoder.js';
import { DISTILL_PREFIX, distillPredictorDecls, REGULARIZER_LAYOUTS } from '../model/regularizer-layout.js';
import { methodLayout } from '../ssl-layout.js';
import type { TrainTask } from '../tasks.js';
import type { PartsMeta } from './part-meta.js';

/**
 * Named groups of arrays and the sets of groups a state may hold. A group that is held
 * is held whole: every array it declares, of its declared shape.
 */
export interface GroupsManifest {
  groups: Record<string, ArrayDecl[]>;
  /** Each allowed set of groups, smallest first. */
  variants: string[][];
}

export interface StateManifest {
  method: string;
  /** The step the task ends at: the one the state must record. */
  step: number;
  /** The method's parts, all of them (one variant). */
  methodState: GroupsManifest;
  partMeta?: PartsMeta;
  /** The momentum buffers (one flat map of arrays, the union of the chosen groups); null when not kept. */
  optimizer: GroupsManifest | null;
  /** The regularizer's components (one part per group); null without a regularizer. */
  regularizer: GroupsManifest | null;
}

/** What the manifest needs of a train task. */
export type ManifestTask = Pick<TrainTask, 'model' | 'ssl' | 'regularizer' | 'optimizer' | 'steps' | 'endsStage'>;

/** The model's sizes a task's dataset gives: input channels and (for the supervised baseline) classes. */
export type ModelGeometry = Required<Pick<DatasetGeometry, 'channels' | 'numClasses'>>;

/** The manifest of the state `task` must return, for data of `geometry`. */
export function stateManifest(task: ManifestTask, geometry: ModelGeometry): StateManifest {
  const encoder = encoderOptions(task.model, geometry.channels, geometry.numClasses);
  const layout = methodLayout(task.ssl, encoder);
  const all = Object.keys(layout.parts);
  const manifest: StateManifest = {
    method: task.ssl.method,
    step: task.optimizer.startStep + task.steps,
    methodState: { groups: layout.parts, variants: [all] },
    optimizer: null,
    regularizer: null,
  };
  if (layout.partMeta) manifest.partMeta = layout.partMeta;
  const endsStage = task.endsStage ?? true;
  if (task.regularizer) {
    const reg = REGULARIZER_LAYOUTS[task.regularizer.name](layout.online, encoder.backbone);
    // A task that ends its stage leaves what the regularizer learnt; one that does not
    // carries on what it was handed: nothing yet in the arm's first stage.
    manifest.regularizer = { groups: reg.components, variants: endsStage ? [reg.afterStage] : [[], reg.midStage] };
  }
  if (task.optimizer.keepOptimizerState) {
    const groups: Record<string, ArrayDecl[]> = { model: layout.online.filter((d) => d.trainable) };
    // Distillation lends the method its predictor for a stage it has a frozen model for
    // (not the arm's first) when it adds a penalty: the optimizer then keeps its momentum too.
    const lends = task.regularizer?.name === 'distill' && task.regularizer.lambda !== 0;
    if (lends) groups[DISTILL_PREFIX] = distillPredictorDecls(encoder.backbone).filter((d) => d.trainable);
    const trained = lends ? [['model'], ['model', DISTILL_PREFIX]] : [['model']];
    // Buffers exist for the parameters a step updated, or that an earlier task handed on.
    manifest.optimizer = { groups, variants: task.steps > 0 ? trained : [[], ...trained] };
  }
  return manifest;
}
