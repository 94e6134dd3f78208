/**
 * A model state's bytes with its float32 arrays as float16 (./float16.ts), and back.
 *
 * Which arrays travel as float16 is decided per array, by the sender, and the receiver
 * sees it in the type of the values (Uint16Array: half bits; Float32Array: as they were):
 * - arrays of kind `position` (MoCo's queue pointer: an index) stay float32, exact;
 * - a regularizer's weighting components (MAS importances, EWC Fisher information) stay
 *   float32: they are often tiny (MAS importances of 1e-6 and below are common), under
 *   float16's normal range (6.1e-5), where a half keeps few or no significant bits and the
 *   penalty they weigh would change. Anchors, the frozen model and the distillation predictor
 *   are weights, like the model's: float16;
 * - an array with any value that float16 cannot hold finitely (beyond 65504, or already
 *   infinite or NaN) stays float32, whole (so the coordinator still sees and refuses NaN);
 * - everything else (the model's parameters and statistics, the momentum encoder, MoCo's
 *   keys, the optimizer's momentum buffers) travels as float16.
 *
 * The receiver expands every half to float32 and re-encodes the state (encodeState: equal
 * states give equal bytes), so what follows (the engine, the coordinator's check,
 * checkpoints) sees an ordinary float32 state; it also gets the value those bytes decode
 * to, so that the coordinator's check need not decode them again. A sender that holds the
 * state decoded (the coordinator) halves it from there instead of decoding its bytes. Rounding is idempotent: encoding an
 * expanded state again gives the same halves.
 */
import { decode } from '../codec.js';
import { WEIGHTING_COMPONENTS } from '../model/regularizer-layout.js';
import { isRecord, type ParamArrays } from '../state/arrays.js';
import { checkModelState, encodeState, type ModelState } from '../state/model-state.js';
import { arrayKind } from '../state/part-meta.js';
import { allFiniteHalves, fromFloat16BitsInto, toFloat16Bits } from './float16.js';

/** An array as it travels: half bits, or float32 kept as it was. */
type WireArray = { shape: number[]; values: Uint16Array | Float32Array };

function halve(arrays: ParamArrays, keep: (name: string) => boolean): Record<string, WireArray> {
  const out: Record<string, WireArray> = {};
  for (const [name, { shape, values }] of Object.entries(arrays)) {
    const halves = keep(name) ? null : toFloat16Bits(values);
    out[name] = { shape, values: halves && allFiniteHalves(halves) ? halves : values };
  }
  return out;
}

/**
 * `raw` checked as a state, without the `regularizer` field when `raw` has none (checkModelState
 * fills it with null): re-encoded, a state then keeps its bytes, framing included.
 */
function asState(raw: unknown): ModelState {
  const state = checkModelState(raw);
  if (isRecord(raw) && raw.regularizer === undefined) delete state.regularizer;
  return state;
}

/**
 * The float16 payload of float32 state bytes `bytes`. `decoded`, when the caller has it, is
 * the state those bytes hold (its `regularizer` absent exactly when the bytes have none),
 * and saves decoding them.
 */
export function halveState(bytes: Uint8Array, decoded?: ModelState): Uint8Array {
  // In place: the arrays are only read, and the payload is written into new memory before
  // this returns (a copy of the 46 MB of a ResNet-18 state took about as long as the rest).
  const state = decoded ?? asState(decode(bytes, { inPlace: true }));
  const wire = {
    ...state,
    methodState: Object.fromEntries(Object.entries(state.methodState).map(([part, arrays]) => [part, halve(arrays, (name) => arrayKind(state.partMeta, part, name) === 'position')])),
    optimizer: state.optimizer && halve(state.optimizer, () => false),
    ...(state.regularizer
      ? { regularizer: Object.fromEntries(Object.entries(state.regularizer).map(([part, arrays]) => [part, halve(arrays, () => WEIGHTING_COMPONENTS.includes(part))])) }
      : {}),
  };
  // encodeState writes the fields in its fixed order; msgpack keeps the Uint16Arrays' type.
  return encodeState(wire as unknown as ModelState);
}

/** A half array of a decoded payload: the path of its map of arrays, its name, its entry and halves. */
interface HalfSlot { where: string; name: string; entry: Record<string, unknown>; halves: Uint16Array }

/** The half arrays of one map of arrays, checked finite; `where` names it in errors. */
function halfSlots(arrays: unknown, where: string): HalfSlot[] {
  if (!isRecord(arrays)) return []; // checkModelState names what is wrong with it
  const slots: HalfSlot[] = [];
  for (const [name, entry] of Object.entries(arrays)) {
    if (isRecord(entry) && entry.values instanceof Uint16Array) {
      if (!allFiniteHalves(entry.values)) throw new Error(`${where}.${name}: holds an infinite or NaN half`);
      slots.push({ where, name, entry, halves: entry.values });
    }
  }
  return slots;
}

/** The maps of arrays of a decoded state, each with the path that names it in errors. */
function arrayMaps(raw: Record<string, unknown>): [unknown, string][] {
  const maps: [unknown, string][] = [];
  for (const section of ['methodState', 'regularizer'] as const) {
    const parts = raw[section];
    if (isRecord(parts)) for (const [part, arrays] of Object.entries(parts)) maps.push([arrays, `${section}.${part}`]);
  }
  maps.push([raw.optimizer, 'optimizer']);
  return maps;
}

/** A float16 payload expanded: the float32 state's bytes, and the value they decode to. */
export interface ExpandedState {
  bytes: Uint8Array;
  /** Equal to `decode(bytes)`, not yet checked for non-finite numbers or against a manifest. */
  decoded: Record<string, unknown>;
}

/** Float32 state bytes of a float16 payload, and their decoded value; throws naming what is wrong with it. */
export function expandState(payload: Uint8Array): ExpandedState {
  // In place: the arrays are read into new memory here (expanded, or copied by the
  // encoding below), so nothing returned shares the payload's memory.
  const raw = decode(payload, { inPlace: true });
  if (!isRecord(raw)) throw new Error('the float16 payload is not a model state');
  // The float32 state is encoded once with zeros in place of the halves, then each half
  // array is expanded into its place in those bytes: the state is written once into its
  // memory, where expanding first and encoding after wrote it twice into fresh memory.
  const slots = arrayMaps(raw).flatMap(([arrays, where]) => halfSlots(arrays, where));
  // One block of zeros for all: the encoding only reads them.
  const zeros = new Float32Array(slots.reduce((n, slot) => Math.max(n, slot.halves.length), 0));
  for (const slot of slots) slot.entry.values = zeros.subarray(0, slot.halves.length);
  const bytes = encodeState(asState(raw));
  // Views on the bytes returned, as the coordinator reads a plain state where it arrived.
  const decoded = decode(bytes, { inPlace: true }) as Record<string, unknown>;
  const placed = new Map(arrayMaps(decoded).map(([arrays, where]) => [where, arrays]));
  for (const { where, name, halves } of slots) {
    const arrays = placed.get(where);
    const out = isRecord(arrays) && isRecord(arrays[name]) ? arrays[name].values : undefined;
    if (!(out instanceof Float32Array) || out.buffer !== bytes.buffer || out.length !== halves.length) {
      throw new Error(`${where}.${name}: its float32 place in the encoded state was not found`);
    }
    fromFloat16BitsInto(halves, out);
  }
  return { bytes, decoded };
}
