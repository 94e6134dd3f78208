/**
 * The model state that travels between clients and the coordinator, as bytes. Everything
 * needed to continue training is in it: online and momentum encoders, MoCo's queue, the
 * optimizer's momentum buffers, the regularizer's importances and anchors, the global
 * step; and what the state says about combining its parts (./part-meta.ts).
 */
import { decode, encode, type DecodeOptions, type EncodeOptions } from '../codec.js';
import { checkArrays, checkParts, isRecord, type MethodState, type NamedArray, type ParamArrays } from './arrays.js';
import { checkPartsMeta, type PartsMeta } from './part-meta.js';

/** The tag that marks encoded bytes as a model state. */
export const STATE_FORMAT = 'streamssl-state';

/**
 * The state format's version. 2 added `partMeta`; states of version 1 are refused, as
 * they cannot say which of their parts may be averaged.
 */
export const STATE_VERSION = 2;

export interface ModelState {
  /** The SSL method whose state this is. */
  method: string;
  /** Optimizer steps taken so far in this arm. */
  step: number;
  methodState: MethodState;
  /** How the method's parts combine; absent (or silent on a part): averaged parameters. */
  partMeta?: PartsMeta;
  optimizer: ParamArrays | null;
  /** Importances and anchors of the arm's regularizer (MAS), when it has one. */
  regularizer?: Record<string, ParamArrays> | null;
}

/** Encodes a state; its fields go in a fixed order, so equal states give equal bytes. */
export function encodeState(state: ModelState, options?: EncodeOptions): Uint8Array {
  return encode(stateRecord(state), options);
}

/**
 * The value `encodeState` encodes (format tag and version first, fields in a fixed order):
 * what decoding its bytes gives back, for callers that hold the state and need that value
 * without decoding the bytes again.
 */
export function stateRecord(state: ModelState): Record<string, unknown> {
  const { method, step, methodState, partMeta, optimizer, regularizer } = state;
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    method,
    step,
    methodState,
    ...(partMeta && Object.keys(partMeta).length > 0 ? { partMeta } : {}),
    optimizer,
    ...(regularizer !== undefined ? { regularizer } : {}),
  };
}

/**
 * Decodes and checks the structure of a state; shapes are checked against the model on
 * import. `inPlace`: its arrays share `bytes`'s memory (../codec.ts), for a reader that
 * leaves `bytes` alone while it uses them.
 */
export function decodeState(bytes: Uint8Array, options: Pick<DecodeOptions, 'inPlace'> = {}): ModelState {
  return checkModelState(decode(bytes, options));
}

/**
 * Checks the structure of a decoded value and returns it as a state: for callers that
 * decode the bytes themselves (the coordinator first walks the value for non-finite
 * numbers). Throws naming the first problem; fields a state does not have are dropped.
 */
export function checkModelState(raw: unknown): ModelState {
  if (!isRecord(raw) || raw.format !== STATE_FORMAT) throw new Error('model state: not a streamssl state');
  if (raw.version !== STATE_VERSION) throw new Error(`model state: version ${String(raw.version)} is not supported (expected ${STATE_VERSION})`);
  if (typeof raw.method !== 'string') throw new Error('model state: missing method');
  if (typeof raw.step !== 'number' || !Number.isInteger(raw.step) || raw.step < 0) throw new Error('model state: bad step');
  if (!isRecord(raw.methodState)) throw new Error('model state: missing methodState');
  const methodState = checkParts(raw.methodState, 'model state');
  const optimizer = raw.optimizer === null || raw.optimizer === undefined ? null : checkArrays(raw.optimizer, 'model state.optimizer');
  const regularizer = raw.regularizer === null || raw.regularizer === undefined ? null : checkParts(raw.regularizer, 'model state.regularizer');
  const state: ModelState = { method: raw.method, step: raw.step, methodState, optimizer, regularizer };
  if (raw.partMeta !== undefined) state.partMeta = checkPartsMeta(raw.partMeta, methodState, 'model state.partMeta');
  return state;
}

/**
 * Every named array of a state with where it sits: `methodState.online.conv1`,
 * `optimizer.conv1`, `regularizer.mas.conv1`.
 */
export function* stateArrays(state: ModelState): Generator<[string, NamedArray]> {
  for (const [part, arrays] of Object.entries(state.methodState)) yield* named(`methodState.${part}`, arrays);
  if (state.optimizer) yield* named('optimizer', state.optimizer);
  for (const [part, arrays] of Object.entries(state.regularizer ?? {})) yield* named(`regularizer.${part}`, arrays);
}

function* named(prefix: string, arrays: ParamArrays): Generator<[string, NamedArray]> {
  for (const [name, array] of Object.entries(arrays)) yield [`${prefix}.${name}`, array];
}
