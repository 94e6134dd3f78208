/**
 * The replay buffer that travels beside the model state: its data shape and its bytes.
 * Which samples it keeps, and how they mix into batches, is the client's business
 * (client/continual/replay.ts).
 */
import { decode, encode } from '../codec.js';
import type { ImageSet } from '../dataset-types.js';
import { isRecord } from './arrays.js';

const REPLAY_FORMAT = 'streamssl-replay';
const REPLAY_VERSION = 1;

/** A replay buffer: its images, and how many stream samples have passed it by. */
export interface ReplayBuffer extends ImageSet {
  /** Samples of all finished chunks so far (reservoir sampling needs it). */
  seen: number;
}

/** Encodes the buffer's first `count` samples (its arrays may have room for more). */
export function encodeReplay(set: ReplayBuffer): Uint8Array {
  return encode({ format: REPLAY_FORMAT, version: REPLAY_VERSION, ...set, images: set.images.subarray(0, set.count * set.height * set.width * set.channels) });
}

/** Decodes a buffer and checks that its geometry holds its bytes. */
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
