/**
 * The straight line between two models of the same method, over everything the method's
 * loss reads: weights, batch-norm statistics, a momentum encoder or target network, a
 * queue of keys. Interpolating the whole state, not only the trainable weights, makes
 * both ends exact: at alpha 1 it is the second model itself, so a barrier on the line is
 * the landscape's, not a mismatch of one model's weights with the other's key encoder or
 * queue (MoCo's queue holds negatives as a set: mixing two queues slot by slot mixes two
 * sets of keys, which is what a point between the models should see). Arrays whose rows
 * are unit vectors in both models (MoCo's keys) are mixed on the sphere: each mixed row is
 * scaled back to unit length, as a straight mix of two unit vectors is shorter, and shorter
 * negatives would lower a contrastive loss between the models for no other reason.
 */
import type { ParamArrays } from '../models/params.js';
import type { MethodState, SslMethod, TrainBatch } from '../ssl/method.js';
import { requireFinite, meanLoss } from './weight-probe.js';
import type { CurvePoint } from './loss-curves.js';

/** Arrays that hold positions, not quantities (MoCo's queue pointer): taken from the first model. */
const POSITIONS = new Set(['pointer']);

/** (1 - alpha) * a + alpha * b for every array; names and shapes must match. */
export function interpolateStates(a: MethodState, b: MethodState, alpha: number): MethodState {
  const parts = (s: MethodState) => Object.keys(s).sort().join(', ');
  if (parts(a) !== parts(b)) throw new Error(`interpolation: the models' states differ in parts (${parts(a)} against ${parts(b)})`);
  const out: MethodState = {};
  for (const [part, arraysA] of Object.entries(a)) {
    const arraysB = b[part];
    const mixed: ParamArrays = {};
    for (const [name, x] of Object.entries(arraysA)) {
      const y = arraysB[name];
      if (!y) throw new Error(`interpolation: "${part}.${name}" is in the first model's state only`);
      if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i])) {
        throw new Error(`interpolation: "${part}.${name}" has shape [${x.shape}] in the first model but [${y.shape}] in the second`);
      }
      if (POSITIONS.has(name)) {
        mixed[name] = x;
        continue;
      }
      const values = new Float32Array(x.values.length);
      for (let i = 0; i < values.length; i++) values[i] = (1 - alpha) * x.values[i] + alpha * y.values[i];
      // At the ends the model itself, bit for bit; between and beyond them back on the sphere.
      const end = alpha === 0 || alpha === 1;
      if (!end && x.shape.length === 2 && hasUnitRows(x.values, x.shape[1]) && hasUnitRows(y.values, x.shape[1])) normalizeRows(values, x.shape[1]);
      mixed[name] = { shape: x.shape, values };
    }
    const extra = Object.keys(arraysB).find((name) => !(name in arraysA));
    if (extra) throw new Error(`interpolation: "${part}.${extra}" is in the second model's state only`);
    out[part] = mixed;
  }
  return out;
}

function rowNorm(values: Float32Array, start: number, width: number): number {
  let sum = 0;
  for (let j = start; j < start + width; j++) sum += values[j] * values[j];
  return Math.sqrt(sum);
}

/** Whether every row of a [rows, width] array has length 1 (to float32 precision). */
function hasUnitRows(values: Float32Array, width: number): boolean {
  for (let start = 0; start < values.length; start += width) {
    if (Math.abs(rowNorm(values, start, width) - 1) > 1e-3) return false;
  }
  return values.length > 0;
}

function normalizeRows(values: Float32Array, width: number): void {
  for (let start = 0; start < values.length; start += width) {
    const norm = rowNorm(values, start, width);
    if (norm > 0) for (let j = start; j < start + width; j++) values[j] /= norm;
  }
}

/**
 * The mean loss (`meanLoss`, same seed at every point) of the model restored by `open`
 * from the interpolated state, for each alpha (0: `a`, 1: `b`; outside [0, 1]
 * extrapolates). Each point's model is disposed before the next is built.
 */
export function interpolationCurve(
  a: MethodState,
  b: MethodState,
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
