/**
 * The straight line between two models of the same method, over everything the method's
 * loss reads: weights, batch-norm statistics, a momentum encoder or target network, a
 * queue of keys. Interpolating the whole state, not only the trainable weights, makes
 * both ends exact: at alpha 1 it is the second model itself, so a barrier on the line is
 * the landscape's, not a mismatch of one model's weights with the other's key encoder or
 * queue (MoCo's queue holds negatives as a set: mixing two queues slot by slot mixes two
 * sets of keys, which is what a point between the models should see). What the states say
 * of their parts (shared/state/part-meta.ts) decides the exceptions, not array names:
 * arrays declared as unit rows (MoCo's keys) whose rows are unit vectors in both models
 * are mixed on the sphere: each mixed row is scaled back to unit length, as a straight mix
 * of two unit vectors is shorter, and shorter negatives would lower a contrastive loss
 * between the models for no other reason. Arrays declared as positions (MoCo's queue
 * pointer) are taken from the first model.
 */
import type { MethodState, ParamArrays } from '../../shared/state/arrays.js';
import type { ModelState } from '../../shared/state/model-state.js';
import { arrayKind, describePartsMeta } from '../../shared/state/part-meta.js';
import { hasUnitRows, normalizeRows } from '../../shared/state/rows.js';
import type { SslMethod, TrainBatch } from '../ssl/method.js';
import { requireFinite, meanLoss } from './weight-probe.js';
import type { CurvePoint } from './loss-curves.js';

/** What the line between two models runs through: the method's parts, and what the state says of them. */
export type StateParts = Pick<ModelState, 'methodState' | 'partMeta'>;

/** (1 - alpha) * a + alpha * b for every array; parts, names, shapes and part metadata must match. */
export function interpolateStates(a: StateParts, b: StateParts, alpha: number): MethodState {
  const parts = (s: MethodState) => Object.keys(s).sort().join(', ');
  if (parts(a.methodState) !== parts(b.methodState)) {
    throw new Error(`interpolation: the models' states differ in parts (${parts(a.methodState)} against ${parts(b.methodState)})`);
  }
  const [metaA, metaB] = [describePartsMeta(a.partMeta), describePartsMeta(b.partMeta)];
  if (metaA !== metaB) throw new Error(`interpolation: the models' states describe their parts differently (${metaA} against ${metaB})`);
  const out: MethodState = {};
  for (const [part, arraysA] of Object.entries(a.methodState)) {
    const arraysB = b.methodState[part];
    const mixed: ParamArrays = {};
    for (const [name, x] of Object.entries(arraysA)) {
      const y = arraysB[name];
      if (!y) throw new Error(`interpolation: "${part}.${name}" is in the first model's state only`);
      if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
        throw new Error(`interpolation: "${part}.${name}" has shape [${x.shape}] in the first model but [${y.shape}] in the second`);
      }
      const kind = arrayKind(a.partMeta, part, name);
      if (kind === 'position') {
        mixed[name] = x;
        continue;
      }
      const values = new Float32Array(x.values.length);
      for (let i = 0; i < values.length; i++) values[i] = (1 - alpha) * x.values[i] + alpha * y.values[i];
      // At the ends the model itself, bit for bit; between and beyond them back on the sphere.
      const end = alpha === 0 || alpha === 1;
      const width = x.shape[1];
      if (!end && kind === 'unit-rows' && x.shape.length === 2 && hasUnitRows(x.values, width) && hasUnitRows(y.values, width)) normalizeRows(values, width);
      mixed[name] = { shape: x.shape, values };
    }
    const extra = Object.keys(arraysB).find((name) => !(name in arraysA));
    if (extra) throw new Error(`interpolation: "${part}.${extra}" is in the second model's state only`);
    out[part] = mixed;
  }
  return out;
}

/**
 * The mean loss (`meanLoss`, same seed at every point) of the model restored by `open`
 * from the interpolated state, for each alpha (0: `a`, 1: `b`; outside [0, 1]
 * extrapolates). Each point's model is disposed before the next is built.
 */
export function interpolationCurve(
  a: StateParts,
  b: StateParts,
  open: (state: MethodState) => SslMethod,
  batches: readonly TrainBatch[],
  o: { alphas: readonly number[]; seed: number },
): CurvePoint[] {
  requireFinite('alphas', o.alphas);
  return o.alphas.map((alpha) => {
    const method = open(interpolateStates(a, b, alpha));
    try {
      return { alpha, loss: meanLoss(method, batches, o.seed) };
    } finally {
      method.dispose();
    }
  });
}
