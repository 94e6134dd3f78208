/**
 * Checks what a client returns before the coordinator keeps it (checkpoints it, hands it
 * on): the state must decode, hold only finite numbers, and keep the shape of every named
 * array it shares with the state the client was handed; the replay buffer must decode. A
 * client with NaN weights, a model of another shape, or plain garbage thus fails its own
 * stage instead of poisoning the checkpoints and the next stage.
 *
 * The coordinator has no model (no TensorFlow.js), but a state is msgpack of named
 * `{shape, values: Float32Array}` entries, so a walk over the decoded value suffices. The
 * client still checks a state against its model on import (client/models/params.ts): only
 * it knows the model, so only it can tell a missing parameter, or a wrong shape in the
 * first stage's state (handed nothing to compare with).
 */
import { decode } from '../shared/codec.js';

/** Where each named array of a state sits (`methodState.online.conv1`), and its shape. */
type Layout = Map<string, readonly number[]>;

/** Deeper nesting than any state has: garbage, refused before it can exhaust the stack. */
const MAX_DEPTH = 32;

// Layouts of states that passed, keyed by their bytes: the state one stage returns is the
// one the next stage is handed, so its layout is known without decoding it a second time.
const checkedLayouts = new WeakMap<Uint8Array, Layout>();

/** Why a returned model state cannot be kept, or null when it can. */
export function inspectReturnedState(returned: Uint8Array, handedOut: Uint8Array | null): string | null {
  const scanned = scan(returned, 'state');
  if (typeof scanned === 'string') return scanned;
  const before = handedOut ? (checkedLayouts.get(handedOut) ?? layoutOf(handedOut)) : null;
  for (const [path, shape] of before ?? []) {
    const after = scanned.get(path);
    if (after && (after.length !== shape.length || after.some((d, i) => d !== shape[i]))) {
      return `the returned state changes the shape of ${path} from [${shape.join(', ')}] to [${after.join(', ')}]`;
    }
  }
  checkedLayouts.set(returned, scanned);
  return null;
}

/** Why a returned replay buffer cannot be kept, or null when it can. */
export function inspectReturnedReplay(returned: Uint8Array): string | null {
  const scanned = scan(returned, 'replay buffer');
  return typeof scanned === 'string' ? scanned : null;
}

/** Decodes `bytes` and walks them: the layout, or why they cannot be kept. */
function scan(bytes: Uint8Array, what: string): Layout | string {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (err) {
    return `the returned ${what} does not decode: ${(err as Error).message}`;
  }
  const layout: Layout = new Map();
  const problem = walk(value, '', 0, layout);
  return problem ? `the returned ${what} ${problem}` : layout;
}

/** The layout of a state that was not checked here (e.g. one read from a checkpoint). */
function layoutOf(bytes: Uint8Array): Layout {
  const scanned = scan(bytes, 'state');
  return typeof scanned === 'string' ? new Map() : scanned;
}

/** Records named arrays in `layout`; returns what is wrong at or below `path`, if anything. */
function walk(value: unknown, path: string, depth: number, layout: Layout): string | null {
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
    const problem = walk(child, path ? `${path}.${key}` : key, depth + 1, layout);
    if (problem) return problem;
  }
  const { shape, values } = value as { shape?: unknown; values?: unknown };
  if (Array.isArray(shape) && values instanceof Float32Array) layout.set(path, shape as number[]);
  return null;
}
