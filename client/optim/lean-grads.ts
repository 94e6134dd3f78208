/**
 * `tf.variableGrads` with the memory of the backward pass given back as it goes.
 *
 * Why: tfjs's backward pass (tfjs-core engine.gradients / tape.backpropagateGradients)
 * keeps every tensor the forward pass saved for it, and every gradient it computes,
 * until the whole backward pass ends. At its end a MoCo step holds the forward
 * activations and a gradient of each: for the quickstart's ResNet at batch 128, 288 MB
 * of tensors at once, and the wasm heap, which never shrinks, grows to match.
 *
 * This runs the same tape, the same gradient functions in the same order and the same
 * accumulation (add of the running sum and the new term, in tape order), so its
 * gradients are bit-identical to tfjs's; it only frees earlier:
 * - a node's saved tensors (the engine's private clones) once its gradients are computed;
 * - the saved tensors of nodes off the path from the variables to the loss, at once;
 * - the data of tensors saved only for their shapes (see SHAPE_ONLY_GRADIENTS), at once;
 * - the gradient of a node's output once the node has passed it on, and each new term
 *   once it is added to the running sum (never one that another entry still holds, nor
 *   one created before the backward pass).
 *
 * It needs the engine's tape internals (tfjs-core 4.x: `state.activeTape`, `scopedRun`,
 * `startTape`, `endTape`); where they are missing, or inside another gradient
 * computation (higher-order gradients need the tape kept), it is tf.variableGrads.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
}

function internals(): EngineInternals | null {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok = typeof engine.scopedRun === 'function' && typeof engine.startTape === 'function' && typeof engine.endTape === 'function'
    && engine.state !== undefined && typeof engine.state.gradientDepth === 'number';
  return ok ? (engine as EngineInternals) : null;
}

/** Whether {@link leanVariableGrads} frees as it goes here (false: it is tf.variableGrads). */
export function leanGradsAvailable(): boolean {
  const engine = internals();
  return engine !== null && engine.state.gradientDepth === 0;
}

/**
 * The nodes of `tape` on a path from `xs` to `y`, in tape order, with their inputs
 * pruned to those that depend on `xs` (as tfjs's getFilteredNodesXToY).
 */
function nodesFromXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const leadsToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((o) => leadsToY.has(o.id))) {
      for (const t of Object.values(node.inputs)) leadsToY.add(t.id);
      nodesToY.add(node.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, t] of Object.entries(node.inputs)) if (fromX.has(t.id)) inputs[name] = t;
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

/**
 * Kernels whose tfjs gradient reads only the shapes of what it saved (tfjs-core 4.22
 * gradients/Add_grad, Sub_grad, Mean_grad, Sum_grad, Reshape_grad): broadcast and reduce
 * axes. Their saved tensors are full-size activations (a convolution's output, a batch
 * norm's scaled values) that no other gradient reads, so they are swapped for a
 * {@link shapeOnly} stand-in before the backward pass begins.
 */
const SHAPE_ONLY_GRADIENTS = new Set(['Add', 'Sub', 'Mean', 'Sum', 'Reshape']);

const STAND_IN_FIELDS = new Set(['shape', 'rank', 'size', 'dtype', 'dispose', 'isDisposed']);

/** A tensor's shape without its data: reading anything else throws, naming the kernel. */
function shapeOnly(t: tf.Tensor, kernelName: string): tf.Tensor {
  const fields: Record<string, unknown> = { shape: t.shape.slice(), rank: t.rank, size: t.size, dtype: t.dtype, dispose: () => undefined, isDisposed: true };
  return new Proxy(fields, {
    get(target, key) {
      if (typeof key === 'string' && STAND_IN_FIELDS.has(key)) return target[key];
      if (key === Symbol.toPrimitive || key === 'then') return undefined;
      throw new Error(`leanVariableGrads: the ${kernelName} gradient read "${String(key)}" of a saved tensor, which only its shape was kept for (a tfjs-core change?)`);
    },
  }) as unknown as tf.Tensor;
}

/** Frees the data of what shape-only gradients saved, keeping the shapes. */
function keepShapesOnly(node: TapeNode): void {
  const saved = node.saved;
  if (!saved || !SHAPE_ONLY_GRADIENTS.has(node.kernelName)) return;
  // In place: the node's gradient closure holds this very array.
  saved.forEach((t, i) => {
    saved[i] = shapeOnly(t, node.kernelName);
    t.dispose();
  });
}

/** How far into each tape {@link trimTape} has gone. */
const trimmed = new WeakMap<TapeNode[], number>();

/**
 * Frees, right away, the data that the gradient tape recorded since the last call saved
 * only for its shape: a model calls it between its blocks so that a forward pass under
 * a gradient tape holds only what the backward pass will read. A no-op when no tape is
 * recording (or it is tfjs's own, for higher-order gradients). Values do not change.
 */
export function trimTape(): void {
  const engine = internals();
  const tape = engine?.state.activeTape;
  if (!engine || !Array.isArray(tape) || engine.state.gradientDepth !== 1 || !leanTapes.has(tape)) return;
  for (let i = trimmed.get(tape) ?? 0; i < tape.length; i++) keepShapesOnly(tape[i]);
  trimmed.set(tape, tape.length);
}

/** Tapes recorded by leanVariableGrads (whose saved tensors it may trim). */
const leanTapes = new WeakSet<TapeNode[]>();

function disposeSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
}

/** Gradients by tensor id, each freed when no entry holds it any more (if the backward pass made it). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  constructor(private readonly firstOwnId: number) {}

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: tf.Tensor): void {
    this.byId.set(id, t);
    this.holders.set(t, (this.holders.get(t) ?? 0) + 1);
  }

  /** Drops the entry of `id`; frees its tensor if nothing else holds it. */
  drop(id: number): void {
    const t = this.byId.get(id);
    if (t === undefined) return;
    this.byId.delete(id);
    this.release(t);
  }

  /** An entry let go of `t`: frees it when no other entry holds it. */
  release(t: tf.Tensor): void {
    const n = (this.holders.get(t) ?? 1) - 1;
    if (n > 0) this.holders.set(t, n);
    else {
      this.holders.delete(t);
      this.discard(t);
    }
  }

  /** Frees `t` unless an entry holds it or it predates the backward pass (saved, variables, y). */
  discard(t: tf.Tensor): void {
    if (!this.holders.has(t) && t.id >= this.firstOwnId) t.dispose();
  }
}

function checkGradient(node: TapeNode, name: string, dx: tf.Tensor): void {
  if (dx.dtype !== 'float32') {
    throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
  }
  const x = node.inputs[name];
  if (!tf.util.arraysEqual(dx.shape, x.shape)) {
    throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
  }
}

/** Walks `tape` backward from y (whose gradient is in `grads`), freeing what is done with. */
function backpropagate(grads: GradientMap, tape: TapeNode[], keep: Set<number>): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    if (node.gradient === undefined) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const names = Object.keys(node.inputs);
    // One tidy around the gradient function and its terms, each term in its own tidy
    // as tfjs runs them: the same kernels in the same order.
    const terms = tf.tidy(() => {
      const inputGradients = node.gradient!(dys);
      return names.map((name) => {
        if (!(name in inputGradients)) throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        return tf.tidy(() => inputGradients[name]());
      });
    });
    disposeSaved(node);
    const inputIds = new Set(names.map((name) => node.inputs[name].id));
    names.forEach((name, k) => {
      const dx = terms[k];
      checkGradient(node, name, dx);
      const id = node.inputs[name].id;
      const current = grads.get(id);
      grads.set(id, current === undefined ? dx : tf.add(current, dx));
      if (current !== undefined) {
        grads.release(current);
        grads.discard(dx);
      }
    });
    // This node's outputs were made by it alone: nothing earlier on the tape reads their gradients.
    for (const o of node.outputs) if (!inputIds.has(o.id) && !keep.has(o.id)) grads.drop(o.id);
  }
}

/**
 * Gradients of the scalar `f()` with respect to the trainable variables of `varList`,
 * by variable name, and the value, as tf.variableGrads returns them (bit-identical);
 * the backward pass frees saved activations and gradients as soon as it is done with them.
 */
export function leanVariableGrads(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = internals();
  if (engine === null || engine.state.gradientDepth > 0) return tf.variableGrads(f, varList);
  const trainable = varList.filter((v) => v.trainable);
  if (trainable.length === 0) throw new Error('variableGrads() expects at least one of the input variables to be trainable, but none of the variables are trainable.');
  let tape: TapeNode[] = [];
  let y: tf.Scalar | null = null;
  try {
    const startTape = () => {
      engine.startTape();
      if (!Array.isArray(engine.state.activeTape)) throw new Error('leanVariableGrads: the engine records no tape (tfjs-core internals changed?)');
      tape = engine.state.activeTape;
      leanTapes.add(tape);
    };
    y = engine.scopedRun(startTape, () => engine.endTape(), () => tf.tidy('forward', f));
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    if (y.rank !== 0) throw new Error(`The f passed in variableGrads(f) must return a scalar, but it returned a rank-${y.rank} tensor`);
    const path = nodesFromXToY(tape, trainable, y);
    const onPath = new Set(path.map((n) => n.id));
    for (const node of tape) {
      // Saved for nodes off the path (e.g. batch statistics kept aside): never read.
      if (!onPath.has(node.id)) disposeSaved(node);
      else keepShapesOnly(node);
    }
    const loss = y;
    const grads = tf.tidy('backward', () => {
      const seed = tf.ones(loss.shape);
      const map = new GradientMap(seed.id);
      map.set(loss.id, seed);
      backpropagate(map, path, new Set(trainable.map((v) => v.id)));
      return trainable.map((v) => map.get(v.id));
    });
    if (!grads.some((g) => g !== undefined)) {
      throw new Error('Cannot find a connection between any variable and the result of the loss function y=f(x). Please make sure the operations that use variables are inside the function f passed to minimize().');
    }
    const named: tf.NamedTensorMap = {};
    trainable.forEach((v, i) => {
      const g = grads[i];
      if (g !== undefined) named[v.name] = g;
    });
    return { value: y, grads: named };
  } catch (err) {
    y?.dispose();
    throw err;
  } finally {
    // What the tape saved and nothing freed yet (a failure half-way, nodes the walk skipped).
    for (const node of tape) disposeSaved(node);
    engine.state.activeTape = null;
  }
}
