/**
 * The tensors a kernel's gradient needs, kept without a kernel call each.
 *
 * Why: while a gradient tape records, tfjs-core's engine keeps each tensor a kernel's
 * gradient will read by cloning it: an Identity kernel through the whole dispatch path,
 * plus a tape node for the clone. A MoCo step of the bench's small model makes 317 of
 * them. On the backends here the clone only shares the data (Identity raises the
 * backend's reference count and returns the same data id), and its tape node leads
 * nowhere a first-order gradient goes: saved tensors are read by gradient functions,
 * never taken as inputs by another node. So this makes the same tensor directly: a new
 * tensor on the same data, the reference count raised, kept out of the scope's disposal
 * as the engine's own save is.
 *
 * Where it does not hold, the engine's own save runs:
 * - inside a nested gradient (higher-order gradients differentiate through the clones);
 * - on backends whose Identity copies, or whose reference counting is not known here.
 *
 * It needs the engine's internals (tfjs-core 4.x: `saveTensorsForBackwardMode`,
 * `makeTensorFromTensorInfo`, `keep`, `state.gradientDepth`, `backend.incRef`); where
 * they are missing it leaves the engine as it is.
 */
import * as tf from '@tensorflow/tfjs-core';

interface EngineInternals {
  backendName: string;
  backend: { incRef(dataId: object): void };
  state: { gradientDepth: number };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
}

/** Backends whose Identity kernel returns its input's data id with the count raised. */
const ALIASING_BACKENDS = new Set(['wasm', 'cpu']);

let engineSave: EngineInternals['saveTensorsForBackwardMode'] | null = null;

function internals(): EngineInternals | null {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok = typeof engine.saveTensorsForBackwardMode === 'function' && typeof engine.makeTensorFromTensorInfo === 'function'
    && typeof engine.keep === 'function' && engine.state !== undefined && typeof engine.state.gradientDepth === 'number';
  return ok ? (engine as EngineInternals) : null;
}

/**
 * Makes the engine keep saved tensors without cloning them where that is safe (see
 * above). Returns whether it is in place; calling it again changes nothing.
 */
export function useLeanSaves(): boolean {
  const engine = internals();
  if (engine === null) return false;
  if (engineSave !== null) return true;
  const own = engine.saveTensorsForBackwardMode;
  engineSave = own;
  engine.saveTensorsForBackwardMode = function leanSave(this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (this.state.gradientDepth !== 1 || !ALIASING_BACKENDS.has(this.backendName)) return own.call(this, tensors);
    return tensors.map((t) => {
      this.backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    });
  };
  return true;
}

/** Puts the engine's own save back (tests compare the two). */
export function useEngineSaves(): void {
  const engine = internals();
  if (engine !== null && engineSave !== null) engine.saveTensorsForBackwardMode = engineSave;
  engineSave = null;
}
