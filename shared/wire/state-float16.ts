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
import { expandHalvesInto, halvesFinitely, toFloat16BitsInto } from './float16.js';

/** An array as it travels: half bits, or float32 kept as it was. */
type WireArray = { shape: number[]; values: Uint16Array | Float32Array };

/** An array to travel as halves: where its map of arrays sits (as `arrayMaps` names it), its name, its values and its entry on the wire. */
interface Halving { where: string; name: string; values: Float32Array; entry: WireArray }

/**
 * The arrays of the map at `where` as they travel: kept as they are when `keep` says so
 * or when a value would not halve finitely, else (recorded in `halvings`) to be halved.
 */
function halve(arrays: ParamArrays, where: string, keep: (name: string) => boolean, halvings: Halving[]): Record<string, WireArray> {
  const out: Record<string, WireArray> = {};
  for (const [name, { shape, values }] of Object.entries(arrays)) {
    const entry: WireArray = { shape, values };
    if (!keep(name) && halvesFinitely(values)) halvings.push({ where, name, values, entry });
    out[name] = entry;
  }
  return out;
}

/**
 * Where the arrays of encoded state `bytes` sit (`decoded`: those bytes decoded in place):
 * `find(where, name, type, length)` is the array `name` of the map at `where` as a view on
 * `bytes`' memory, of `type` and `length` elements; it throws when it is not there.
 */
function placedArrays(
  bytes: Uint8Array,
  decoded = decode(bytes, { inPlace: true }) as Record<string, unknown>,
): <T extends Uint16Array | Float32Array>(where: string, name: string, type: { new (n: number): T }, length: number) => T {
  const placed = new Map(arrayMaps(decoded).map(([arrays, where]) => [where, arrays]));
  return (where, name, type, length) => {
    const arrays = placed.get(where);
    const found = isRecord(arrays) && isRecord(arrays[name]) ? arrays[name].values : undefined;
    if (!(found instanceof type) || found.buffer !== bytes.buffer || found.length !== length) {
      throw new Error(`${where}.${name}: its place in the encoded state was not found`);
    }
    return found;
  };
}

/**
 * `into` as encoding options, unless it shares memory with `source`: the arrays converted
 * into their places are read from `source` after the encoding has written `into`, and the
 * encoding sees only the zeros standing in for them (not what they are read from).
 */
function intoApart(into: Uint8Array | undefined, source: Uint8Array): { into?: Uint8Array } {
  return into && into.buffer !== source.buffer ? { into } : {};
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
 * and saves decoding them. `into`: memory the payload may be written into, when it serves
 * its size (../codec.ts `EncodeOptions.into`), instead of fresh memory.
 */
export function halveState(bytes: Uint8Array, decoded?: ModelState, into?: Uint8Array): Uint8Array {
  // In place: the arrays are only read, and the payload is written into its own memory before
  // this returns (a copy of the 46 MB of a ResNet-18 state took about as long as the rest).
  const state = decoded ?? asState(decode(bytes, { inPlace: true }));
  const halvings: Halving[] = [];
  const parts = (section: string, maps: Record<string, ParamArrays>, keep: (part: string, name: string) => boolean) =>
    Object.fromEntries(Object.entries(maps).map(([part, arrays]) => [part, halve(arrays, `${section}.${part}`, (name) => keep(part, name), halvings)]));
  const wire = {
    ...state,
    methodState: parts('methodState', state.methodState, (part, name) => arrayKind(state.partMeta, part, name) === 'position'),
    optimizer: state.optimizer && halve(state.optimizer, 'optimizer', () => false, halvings),
    ...(state.regularizer ? { regularizer: parts('regularizer', state.regularizer, (part) => WEIGHTING_COMPONENTS.includes(part)) } : {}),
  };
  // As the expansion does (below): encoded once with zeros standing in for the halves, then
  // each array halved into its place, where halving first and encoding after wrote the
  // halves twice, once into fresh memory. One block of zeros for all: the encoding only reads them.
  const zeros = new Uint16Array(halvings.reduce((n, h) => Math.max(n, h.values.length), 0));
  for (const h of halvings) h.entry.values = zeros.subarray(0, h.values.length);
  // encodeState writes the fields in its fixed order; msgpack keeps the Uint16Arrays' type.
  const payload = encodeState(wire as unknown as ModelState, intoApart(into, bytes));
  const find = placedArrays(payload);
  for (const h of halvings) toFloat16BitsInto(h.values, find(h.where, h.name, Uint16Array, h.values.length));
  return payload;
}

/** A half array of a decoded payload: the path of its map of arrays, its name, its entry and halves. */
interface HalfSlot { where: string; name: string; entry: Record<string, unknown>; halves: Uint16Array }

/** The half arrays of one map of arrays (checked finite as they are expanded); `where` names it in errors. */
function halfSlots(arrays: unknown, where: string): HalfSlot[] {
  if (!isRecord(arrays)) return []; // checkModelState names what is wrong with it
  const slots: HalfSlot[] = [];
  for (const [name, entry] of Object.entries(arrays)) {
    if (isRecord(entry) && entry.values instanceof Uint16Array) {
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

/**
 * Float32 state bytes of a float16 payload, and their decoded value; throws naming what is
 * wrong with it. `into`: memory the bytes may be written into, when it serves their size
 * (../codec.ts `EncodeOptions.into`), instead of fresh memory.
 */
export function expandState(payload: Uint8Array, into?: Uint8Array): ExpandedState {
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
  const bytes = encodeState(asState(raw), intoApart(into, payload));
  // Views on the bytes returned, as the coordinator reads a plain state where it arrived.
  const decoded = decode(bytes, { inPlace: true }) as Record<string, unknown>;
  const find = placedArrays(bytes, decoded);
  for (const { where, name, halves } of slots) {
    if (!expandHalvesInto(halves, find(where, name, Float32Array, halves.length))) throw new Error(`${where}.${name}: holds an infinite or NaN half`);
  }
  return { bytes, decoded };
}
