/**
 * Checks what a client returns before the coordinator keeps it (checkpoints it, hands it
 * on). A returned state must be the state its task determines (shared/state/manifest.ts):
 * first its size, before anything is decoded; then, decoded, finite numbers only, and
 * the task's method, step, parts and arrays, each array of its declared name, shape,
 * dtype and length, at every stage, the first included. The replay buffer must hold as
 * many samples as it declares, of the dataset's geometry where the dataset spec says it.
 * A client with NaN weights, a model of another shape, a state the next stage could not
 * load, or plain garbage thus fails its own stage instead of poisoning the checkpoints,
 * the next stage and every resume.
 *
 * The coordinator has no model (no TensorFlow.js): the manifest is computed from the
 * task alone, by the same declarations the client builds its model from. A state that
 * passes is kept decoded with its bytes (./decoded-states.ts): fedavg averages it without
 * decoding it again.
 */
import { decode } from '../../shared/codec.js';
import { datasetGeometry } from '../../shared/dataset-geometry.js';
import { stateManifest } from '../../shared/state/manifest.js';
import { manifestProblem } from '../../shared/state/manifest-check.js';
import { stateGeometry } from '../../shared/state/manifest-geometry.js';
import { checkModelState, type ModelState } from '../../shared/state/model-state.js';
import { checkReplay } from '../../shared/state/replay-buffer.js';
import { taskStateSizeRange } from '../../shared/state/task-state-size.js';
import type { TrainTask } from '../../shared/tasks.js';
import { keepDecoded } from './decoded-states.js';

/** Deeper nesting than any state has: garbage, refused before it can exhaust the stack. */
const MAX_DEPTH = 32;

/**
 * How the coordinator checks a train task's returned state and replay buffer: why each
 * cannot be kept, or null. MANIFEST_CHECK in every run; a test whose engine returns no
 * model's state (a fake) may pass its own.
 */
export interface ResultCheck {
  /**
   * `decoded`, when given, is what `bytes` decode to (the wire layer made it when expanding a
   * float16 state): the check then walks it instead of decoding the bytes again.
   */
  state(bytes: Uint8Array, task: CheckedTask, decoded?: unknown): string | null;
  replay(bytes: Uint8Array, task: CheckedTask): string | null;
  /** The largest (float32) state `task` may return, when the check knows it: bounds a compressed state's inflation. */
  maxStateBytes?(task: CheckedTask): number;
}

/** What of a train task the checks read. */
export type CheckedTask = Pick<TrainTask, 'model' | 'ssl' | 'regularizer' | 'optimizer' | 'steps' | 'endsStage' | 'replay' | 'data'>;

/**
 * Why the state `task` returned cannot be kept, or null when it can (it is then kept
 * decoded); `decoded`: what `returned` decodes to, when the caller has it.
 */
export function inspectReturnedState(returned: Uint8Array, task: CheckedTask, decoded?: unknown): string | null {
  const known = datasetGeometry(task.data.dataset);
  const sizeProblem = unexpectedSize(returned.byteLength, task);
  if (sizeProblem) return sizeProblem;
  const value = decodeAndWalk(returned, 'state', decoded);
  if (typeof value === 'string') return value;
  const problem = manifestProblem(value.decoded, stateManifest(task, stateGeometry(known, value.decoded)));
  if (problem) return `the returned state does not fit the task's model: ${problem}`;
  let state: ModelState;
  try {
    state = checkModelState(value.decoded);
  } catch (err) {
    return `the returned state is not a model state: ${(err as Error).message}`;
  }
  keepDecoded(returned, state, value.decoded);
  return null;
}

/**
 * Why a state of `bytes` bytes cannot be the one `task` returns, or null: the sizes of
 * the states the task's manifest allows (for every geometry the dataset spec leaves open).
 */
function unexpectedSize(bytes: number, task: CheckedTask): string | null {
  const { min, max } = taskStateSizeRange(task);
  if (bytes >= min && bytes <= max) return null;
  const expected = min === max ? `${min} bytes` : `between ${min} and ${max} bytes`;
  return `the returned state is ${bytes} bytes, a state of the task's model is ${expected}: refused undecoded`;
}


/** Why the replay buffer `task` returned cannot be kept, or null when it can. */
export function inspectReturnedReplay(returned: Uint8Array, task: CheckedTask): string | null {
  if (task.replay.mode === 'none') return 'the task keeps no replay buffer, but one was returned';
  const value = decodeAndWalk(returned, 'replay buffer');
  if (typeof value === 'string') return value;
  try {
    const replay = checkReplay(value.decoded, datasetGeometry(task.data.dataset));
    // A reservoir has a capacity; other selections add a share of every chunk.
    const { selection, size } = task.replay;
    if (selection === 'reservoir' && size !== undefined && replay.count > size) {
      return `the returned replay buffer holds ${replay.count} samples, its reservoir keeps at most ${size}`;
    }
  } catch (err) {
    return `the returned replay buffer is not fit to keep: ${(err as Error).message}`;
  }
  return null;
}

/**
 * Decodes `bytes` (unless `given` is their decoded value already) and walks the value for
 * non-finite numbers: the value, or why it cannot be kept. Its arrays are read in place:
 * the coordinator keeps the bytes as they came (they are what it passes on), so the decoded
 * value it keeps beside them (./decoded-states.ts) costs no copy of the state.
 */
function decodeAndWalk(bytes: Uint8Array, what: string, given?: unknown): { decoded: unknown } | string {
  let decoded: unknown = given;
  if (decoded === undefined) {
    try {
      decoded = decode(bytes, { inPlace: true });
    } catch (err) {
      return `the returned ${what} does not decode: ${(err as Error).message}`;
    }
  }
  const problem = walk(decoded, '', 0);
  return problem ? `the returned ${what} ${problem}` : { decoded };
}

/** What is wrong at or below `path`, if anything: a non-finite number or absurd nesting. */
function walk(value: unknown, path: string, depth: number): string | null {
  if (depth > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels at ${path}`;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `holds ${value} at ${path}`;
  if (value instanceof Float32Array || value instanceof Float64Array) {
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) return `holds ${value[i]} at ${path}[${i}]`;
    }
    return null;
  }
  if (ArrayBuffer.isView(value) || typeof value !== 'object' || value === null) return null;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    const problem = walk(child, path ? `${path}.${key}` : key, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** The check of every run: states against the task's manifest, replay buffers against their counts and the dataset. */
export const MANIFEST_CHECK: ResultCheck = { state: inspectReturnedState, replay: inspectReturnedReplay, maxStateBytes: (task) => taskStateSizeRange(task).max };

/** Why encoded `bytes` cannot be kept as any value (they do not decode, nest absurdly, or hold non-finite numbers), or null. */
function undecodable(bytes: Uint8Array, what: string): string | null {
  const value = decodeAndWalk(bytes, what);
  return typeof value === 'string' ? value : null;
}

/**
 * A check of structure only: states decode, hold finite numbers and are model states;
 * replay buffers decode. For tools that move states of no real model (the hand-off and
 * overhead benchmarks, tests' fake engines); a run always uses `MANIFEST_CHECK`.
 */
export const STRUCTURE_ONLY_CHECK: ResultCheck = {
  state(bytes, _task, decoded) {
    const value = decodeAndWalk(bytes, 'state', decoded);
    if (typeof value === 'string') return value;
    try {
      keepDecoded(bytes, checkModelState(value.decoded), value.decoded);
      return null;
    } catch (err) {
      return `the returned state is not a model state: ${(err as Error).message}`;
    }
  },
  replay: (bytes) => undecodable(bytes, 'replay buffer'),
};
