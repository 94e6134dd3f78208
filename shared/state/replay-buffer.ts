/**
 * The replay buffer that travels beside the model state: its data shape and its bytes.
 * Which samples it keeps, and how they mix into batches, is the client's business
 * (client/continual/replay.ts).
 */
import { decode, encode } from '../codec.js';
import type { DatasetGeometry } from '../dataset-geometry.js';
import type { ImageSet } from '../dataset-types.js';
import { isRecord } from './arrays.js';

const REPLAY_FORMAT = 'streamssl-replay';
const REPLAY_VERSION = 1;

/** A replay buffer: its images, and how many stream samples have passed it by. */
export interface ReplayBuffer extends ImageSet {
  /** Samples of all finished chunks so far (reservoir sampling needs it). */
  seen: number;
}

/**
 * Encodes the buffer's first `count` samples (its arrays may have room for more), with the
 * fields `checkReplay` reads and nothing else: a buffer built from a chunk of a multi-domain
 * dataset carries the chunk's `domainOf` (one byte per chunk sample, not per buffer sample),
 * which no reader wants and which would break the size bound (./replay-size.ts).
 */
export function encodeReplay(set: ReplayBuffer): Uint8Array {
  const { count, height, width, channels, numClasses, classNames, seen } = set;
  return encode({
    format: REPLAY_FORMAT,
    version: REPLAY_VERSION,
    images: set.images.subarray(0, count * height * width * channels),
    labels: set.labels.subarray(0, count),
    count,
    height,
    width,
    channels,
    numClasses,
    classNames,
    seen,
  });
}

/** Decodes a buffer and checks that its geometry holds its bytes. */
export function decodeReplay(bytes: Uint8Array): ReplayBuffer {
  return checkReplay(decode(bytes));
}

/**
 * Checks a decoded value as a replay buffer: its counts and sizes are integers, its
 * images and labels bytes, exactly as many as its count and image size say; with
 * `expected` (what the dataset spec says of its images), the image size and channels are
 * the dataset's and every label is one of its classes. Throws naming what is wrong.
 */
export function checkReplay(raw: unknown, expected: DatasetGeometry = {}): ReplayBuffer {
  if (!isRecord(raw) || raw.format !== REPLAY_FORMAT) throw new Error('replay buffer: not a streamssl replay buffer');
  const { images, labels, count, height, width, channels, numClasses, classNames, seen } = raw;
  const geometry = { count, height, width, channels, numClasses };
  for (const [field, value] of Object.entries(geometry)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`replay buffer: ${field} is ${String(value)}, expected a non-negative integer`);
  }
  for (const field of ['height', 'width', 'channels', 'numClasses'] as const) {
    const want = expected[field];
    if (want !== undefined && geometry[field] !== want) throw new Error(`replay buffer: ${field} is ${String(geometry[field])}, the dataset's is ${want}`);
  }
  if (!(images instanceof Uint8Array) || !(labels instanceof Uint8Array)) throw new Error('replay buffer: images and labels must be bytes');
  const n = count as number;
  const imageBytes = (height as number) * (width as number) * (channels as number);
  if (images.length !== n * imageBytes || labels.length !== n) {
    throw new Error(`replay buffer: ${n} samples of ${imageBytes} bytes declared but ${images.length} image bytes and ${labels.length} labels`);
  }
  const classes = numClasses as number;
  const outside = labels.findIndex((label) => label >= classes);
  if (outside >= 0) throw new Error(`replay buffer: label ${labels[outside]} of sample ${outside} is not one of its ${classes} classes`);
  if (seen !== undefined && (typeof seen !== 'number' || !Number.isInteger(seen) || seen < n)) {
    throw new Error(`replay buffer: ${String(seen)} samples seen, fewer than the ${n} it holds`);
  }
  return {
    images,
    labels,
    count: n,
    height: height as number,
    width: width as number,
    channels: channels as number,
    numClasses: classes,
    classNames: Array.isArray(classNames) ? classNames.map(String) : [],
    seen: typeof seen === 'number' ? seen : n,
  };
}
