/**
 * The model state that travels between clients, and the replay buffer beside it, as
 * bytes. Everything needed to continue training is in it: online and momentum
 * encoders, the queue, the optimizer's momentum buffers and the global step.
 */
import { decode, encode } from '../../shared/codec.js';
import type { ReplayBuffer } from '../continual/replay.js';
import type { ParamArrays } from '../models/params.js';
import type { MethodState } from '../ssl/method.js';

const STATE_FORMAT = 'streamssl-state';
const REPLAY_FORMAT = 'streamssl-replay';
const VERSION = 1;

export interface ModelState {
  method: string;
  /** Optimizer steps taken so far in this arm. */
  step: number;
  methodState: MethodState;
  optimizer: ParamArrays | null;
  /** Importances and anchors of the arm's regularizer (MAS), when it has one. */
  regularizer?: Record<string, ParamArrays> | null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkArrays(x: unknown, where: string): ParamArrays {
  if (!isRecord(x)) throw new Error(`${where}: expected a map of named arrays`);
  for (const [name, entry] of Object.entries(x)) {
    if (!isRecord(entry) || !Array.isArray(entry.shape) || !(entry.values instanceof Float32Array)) {
      throw new Error(`${where}.${name}: expected {shape, values: Float32Array}`);
    }
    const size = (entry.shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== entry.values.length) throw new Error(`${where}.${name}: shape [${entry.shape}] does not hold ${entry.values.length} values`);
  }
  return x as ParamArrays;
}

export function encodeState(state: ModelState): Uint8Array {
  return encode({ format: STATE_FORMAT, version: VERSION, ...state });
}

/** Decodes and checks the structure of a state; shapes are checked against the model on import. */
export function decodeState(bytes: Uint8Array): ModelState {
  const raw = decode(bytes);
  if (!isRecord(raw) || raw.format !== STATE_FORMAT) throw new Error('model state: not a streamssl state');
  if (raw.version !== VERSION) throw new Error(`model state: version ${String(raw.version)} is not supported (expected ${VERSION})`);
  if (typeof raw.method !== 'string') throw new Error('model state: missing method');
  if (typeof raw.step !== 'number' || !Number.isInteger(raw.step) || raw.step < 0) throw new Error('model state: bad step');
  if (!isRecord(raw.methodState)) throw new Error('model state: missing methodState');
  const methodState: MethodState = {};
  for (const [part, arrays] of Object.entries(raw.methodState)) methodState[part] = checkArrays(arrays, `model state.${part}`);
  const optimizer = raw.optimizer === null || raw.optimizer === undefined ? null : checkArrays(raw.optimizer, 'model state.optimizer');
  let regularizer: Record<string, ParamArrays> | null = null;
  if (raw.regularizer !== null && raw.regularizer !== undefined) {
    if (!isRecord(raw.regularizer)) throw new Error('model state: regularizer must be a map of named arrays');
    regularizer = {};
    for (const [part, arrays] of Object.entries(raw.regularizer)) regularizer[part] = checkArrays(arrays, `model state.regularizer.${part}`);
  }
  return { method: raw.method, step: raw.step, methodState, optimizer, regularizer };
}

export function encodeReplay(set: ReplayBuffer): Uint8Array {
  return encode({ format: REPLAY_FORMAT, version: VERSION, ...set, images: set.images.subarray(0, set.count * set.height * set.width * set.channels) });
}

export function decodeReplay(bytes: Uint8Array): ReplayBuffer {
  const raw = decode(bytes);
  if (!isRecord(raw) || raw.format !== REPLAY_FORMAT) throw new Error('replay buffer: not a streamssl replay buffer');
  const { images, labels, count, height, width, channels, numClasses, classNames, seen } = raw;
  const ints = [count, height, width, channels, numClasses];
  if (!ints.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) throw new Error('replay buffer: bad geometry');
  if (!(images instanceof Uint8Array) || !(labels instanceof Uint8Array)) throw new Error('replay buffer: images and labels must be bytes');
  const n = count as number;
  if (images.length !== n * (height as number) * (width as number) * (channels as number) || labels.length !== n) {
    throw new Error(`replay buffer: ${n} samples declared but ${images.length} image bytes and ${labels.length} labels`);
  }
  return {
    images,
    labels,
    count: n,
    height: height as number,
    width: width as number,
    channels: channels as number,
    numClasses: numClasses as number,
    classNames: Array.isArray(classNames) ? classNames.map(String) : [],
    seen: typeof seen === 'number' && Number.isInteger(seen) && seen >= n ? seen : n,
  };
}
