/**
 * Checks what a client returns before the coordinator keeps it (checkpoints it, hands it
 * on): the state must decode, hold only finite numbers, be a model state
 * (shared/state/model-state.ts) and keep the shape of every named array it shares with
 * the state the client was handed; the replay buffer must decode. A client with NaN
 * weights, a model of another shape, or plain garbage thus fails its own stage instead of
 * poisoning the checkpoints and the next stage.
 *
 * The coordinator has no model (no TensorFlow.js), but a state is named
 * `{shape, values: Float32Array}` arrays, so its decoded value suffices. The client still
 * checks a state against its model on import (client/models/params.ts): only it knows the
 * model, so only it can tell a missing parameter, or a wrong shape in the first stage's
 * state (handed nothing to compare with). A state that passes is kept decoded with its
 * bytes (./decoded-states.ts): fedavg averages it, and the next stage's result is compared
 * with it, without decoding it again.
 */
import { decode } from '../../shared/codec.js';
import { checkModelState, stateArrays, type ModelState } from '../../shared/state/model-state.js';
import { decodedState, keepDecoded } from './decoded-states.js';

/** Deeper nesting than any state has: garbage, refused before it can exhaust the stack. */
const MAX_DEPTH = 32;

/** Why a returned model state cannot be kept, or null when it can (it is then kept decoded). */
export function inspectReturnedState(returned: Uint8Array, handedOut: Uint8Array | null): string | null {
  const value = decodeAndWalk(returned, 'state');
  if (typeof value === 'string') return value;
  let state: ModelState;
  try {
    state = checkModelState(value.decoded);
  } catch (err) {
    return `the returned state is not a model state: ${(err as Error).message}`;
  }
  const before = handedOut ? stateHandedOut(handedOut) : null;
  const problem = before && changedShape(before, state);
  if (problem) return problem;
  keepDecoded(returned, state);
  return null;
}

/** Why a returned replay buffer cannot be kept, or null when it can. */
export function inspectReturnedReplay(returned: Uint8Array): string | null {
  const value = decodeAndWalk(returned, 'replay buffer');
  return typeof value === 'string' ? value : null;
}

/** The first array whose shape `after` changes from `before`; arrays may come and go (only the client knows its model). */
function changedShape(before: ModelState, after: ModelState): string | null {
  const shapes = new Map([...stateArrays(after)].map(([path, array]) => [path, array.shape]));
  for (const [path, { shape }] of stateArrays(before)) {
    const changed = shapes.get(path);
    if (changed && (changed.length !== shape.length || changed.some((d, i) => d !== shape[i]))) {
      return `the returned state changes the shape of ${path} from [${shape.join(', ')}] to [${changed.join(', ')}]`;
    }
  }
  return null;
}

/**
 * The state a task was handed, decoded: kept when it was checked here or averaged, else
 * (a checkpoint read on resume) decoded now, once. One that does not decode is compared
 * with nothing, as the first stage's is.
 */
function stateHandedOut(bytes: Uint8Array): ModelState | null {
  try {
    return decodedState(bytes);
  } catch {
    return null;
  }
}

/** Decodes `bytes` and walks the value for non-finite numbers: the value, or why it cannot be kept. */
function decodeAndWalk(bytes: Uint8Array, what: string): { decoded: unknown } | string {
  let decoded: unknown;
  try {
    decoded = decode(bytes);
  } catch (err) {
    return `the returned ${what} does not decode: ${(err as Error).message}`;
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
