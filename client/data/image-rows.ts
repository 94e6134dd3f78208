/**
 * Image sets whose pixels stay in a file until a task asks for some of them. A task trains
 * on a chunk and is scored on subsets; reading the whole of a dataset's file to take them
 * put its 55 MB (Fashion-MNIST) beside a client's grown heaps at every task's start, the
 * largest transient a relay client had. Labels are read whole: streams are planned from them.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { imageBytes } from '../../shared/dataset-types.js';

/** An image set with its pixels on file: everything of an `ImageSet` but the pixels. */
export interface ImageRows extends Omit<ImageSet, 'images'> {
  /** Copies the images at `indices` (in that order) into `into` from image `at` on. */
  readRows(indices: ArrayLike<number>, into: Uint8Array, at: number): void;
  /** Where the images are: what tells this set's pixels from another's (./normalization-cache.ts). */
  readonly source: RowsInFile;
}

/** What a subset can be gathered from: pixels in memory or on file. */
export type ImageSource = ImageSet | ImageRows;

/** A dataset whose splits may keep their pixels on file. */
export interface DatasetRows extends Omit<LabeledDataset, 'train' | 'test'> {
  train: ImageSource;
  test: ImageSource;
}

/** Where a set's images sit in a file, and how to tell that file is still the one described. */
export interface RowsInFile {
  file: string;
  /** Byte offset of image 0. */
  offset: number;
  /** The file's first bytes as they were read when the set was described (a header, checked again on each read). */
  header: Uint8Array;
  /** The file's size when described. */
  size: number;
}

/** Bytes read per block: a bounded buffer whatever the set (one image when an image is larger). */
const BLOCK_BYTES = 1 << 20;

/** Copies the images at `indices` of `set` into `into` from image `at` on. */
export function readImages(set: ImageSource, indices: ArrayLike<number>, into: Uint8Array, at: number): void {
  if ('readRows' in set) {
    set.readRows(indices, into, at);
    return;
  }
  const size = imageBytes(set);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    checkIndex(i, set.count);
    into.set(set.images.subarray(i * size, (i + 1) * size), (at + k) * size);
  }
}

/** Throws unless `i` is the index of one of `count` samples (a fractional index would copy a mix of two images). */
function checkIndex(i: number, count: number): void {
  if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new Error(`sample index ${i} out of range 0..${count - 1}`);
}

/**
 * Every image of `set` in order, in blocks of whole images of at most `blockBytes` (one
 * image when an image is larger); a block read from file is overwritten by the next.
 */
export function* imageBlocks(set: ImageSource, blockBytes: number): Generator<Uint8Array> {
  const size = imageBytes(set);
  const perBlock = Math.max(1, Math.floor(blockBytes / size));
  const block = 'readRows' in set ? new Uint8Array(Math.min(perBlock, set.count) * size) : null;
  for (let first = 0; first < set.count; first += perBlock) {
    const n = Math.min(perBlock, set.count - first);
    if (!block) {
      yield (set as ImageSet).images.subarray(first * size, (first + n) * size);
      continue;
    }
    readImages(set, Array.from({ length: n }, (_, k) => first + k), block, 0);
    yield block.subarray(0, n * size);
  }
}

/**
 * The images of `described` read from `where` on request. Each request opens the file,
 * checks its header and size against what was described (a cache rewritten in between
 * with other contents is an error, never other pixels), reads the blocks that hold the
 * requested images in file order through one buffer of about a megabyte, and closes it.
 */
export function rowsInFile(described: Omit<ImageSet, 'images'>, where: RowsInFile): ImageRows {
  const size = imageBytes(described);
  const count = described.count;
  const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / size));
  return {
    ...described,
    source: where,
    readRows(indices, into, at) {
      for (let k = 0; k < indices.length; k++) checkIndex(indices[k], count);
      if ((at + indices.length) * size > into.length) throw new Error(`${where.file}: ${indices.length} images from image ${at} do not fit ${into.length} bytes`);
      if (indices.length === 0) return;
      // Positions of the requested images sorted by their place in the file.
      const order = Uint32Array.from({ length: indices.length }, (_, k) => k).sort((a, b) => indices[a] - indices[b]);
      const fd = openSync(where.file, 'r');
      try {
        checkUnchanged(fd, where);
        const block = new Uint8Array(Math.min(perBlock, count) * size);
        let loaded = -1;
        for (const k of order) {
          const i = indices[k];
          const b = Math.floor(i / perBlock);
          if (b !== loaded) {
            const first = b * perBlock;
            const bytes = Math.min(perBlock, count - first) * size;
            readFully(fd, block, bytes, where.offset + first * size, where.file);
            loaded = b;
          }
          const from = (i - b * perBlock) * size;
          into.set(block.subarray(from, from + size), (at + k) * size);
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

function checkUnchanged(fd: number, where: RowsInFile): void {
  const head = new Uint8Array(where.header.length);
  const read = readSync(fd, head, 0, head.length, 0);
  const same = read === head.length && head.every((v, i) => v === where.header[i]);
  // Through the descriptor: the file these reads go to, not whatever the path names by then.
  const size = fstatSync(fd).size;
  if (!same || size !== where.size) throw new Error(`${where.file}: the file changed since it was described (${same ? `${size} bytes, not ${where.size}` : 'another header'}); run the task again to reload it`);
}

function readFully(fd: number, into: Uint8Array, bytes: number, position: number, file: string): void {
  let done = 0;
  while (done < bytes) {
    const n = readSync(fd, into, done, bytes - done, position + done);
    if (n === 0) throw new Error(`${file}: ended at byte ${position + done}, expected ${bytes - done} more bytes (the file was truncated or replaced)`);
    done += n;
  }
}
