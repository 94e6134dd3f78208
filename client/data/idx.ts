/**
 * Loader for MNIST-format idx folders (MNIST, Fashion-MNIST, KMNIST, Debian's
 * /usr/share/datasets/fashion-mnist, ...), with the folder's official train/test split.
 * Files may be gzipped; both `train-images-idx3-ubyte` and `train-images.idx3-ubyte` names work.
 * Opened (`openIdxFolder`, what a task uses), a plain image file stays on file until a task
 * gathers images from it (./image-rows.ts); a gzipped one is decompressed into memory.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { checkPartition } from '../../shared/stream/index.js';
import { readFileParts } from './file-parts.js';
import { rowsInFile, type DatasetRows, type ImageSource, type RowsInFile } from './image-rows.js';

/** The unsigned-byte payload of an idx file and its dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** The longest idx header: magic and four dimensions. */
const MAX_HEADER_BYTES = 4 + 4 * 4;

/** An idx file's dimensions and the bytes of its header, read from its first bytes; `file` names it in errors. */
function parseIdxHeader(bytes: Uint8Array, file: string): { dims: number[]; headerBytes: number } {
  if (bytes.length < 4) throw new Error(`${file}: too short for an idx header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const ndim = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndim < 1 || ndim > 4) {
    throw new Error(`${file}: bad magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x000008NN with 1..4 dimensions)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new Error(`${file}: unsupported idx data type 0x${bytes[2].toString(16).padStart(2, '0')} (only unsigned byte, 0x08)`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new Error(`${file}: truncated header (${bytes.length} of ${headerBytes} bytes)`);
  return { dims: Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i)), headerBytes };
}

/** Throws unless the `actual` data bytes of `file` are what its dimensions say. */
function checkDataBytes(dims: number[], actual: number, file: string): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (actual !== expected) {
    throw new Error(`${file}: header says ${dims.join('x')} = ${expected} data bytes but the file has ${actual}`);
  }
}

/** Parses idx bytes (already decompressed); `file` names the source in errors. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const { dims, headerBytes } = parseIdxHeader(bytes, file);
  checkDataBytes(dims, bytes.length - headerBytes, file);
  return { dims, data: bytes.subarray(headerBytes) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads and parses one idx file, gunzipping it when it starts with the gzip signature. */
export async function readIdxFile(file: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(file);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${file}: cannot decompress gzip data: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, file);
}

/** Candidate names of one idx file, e.g. `train` + `images-idx3`. */
function candidates(prefix: string, kind: 'images-idx3' | 'labels-idx1'): string[] {
  const [what, idx] = kind.split('-');
  const names = [`${prefix}-${what}-${idx}-ubyte`, `${prefix}-${what}.${idx}-ubyte`];
  return names.flatMap((n) => [n, `${n}.gz`]);
}

function findFile(folder: string, prefix: string, kind: 'images-idx3' | 'labels-idx1'): string {
  const names = candidates(prefix, kind);
  const found = names.find((n) => existsSync(join(folder, n)));
  if (!found) throw new Error(`idx dataset ${folder}: missing ${names[0]} (also tried ${names.slice(1).join(', ')})`);
  return join(folder, found);
}

/**
 * An idx image file's dimensions, and how to make its image set from the rest of the set's
 * description: `S` is where the pixels are (in memory, or left on file).
 */
interface IdxImages<S> {
  dims: number[];
  set(described: Omit<ImageSet, 'images'>): S;
}

/** How an image file is read: whole into memory, or opened (`openIdxImages`). */
type ImageReader<S> = (file: string) => Promise<IdxImages<S>>;

/** The images of an idx file, read whole (a copy: the parsed array is a view into the file's buffer, header included). */
async function loadIdxImages(file: string): Promise<IdxImages<ImageSet>> {
  const { dims, data } = await readIdxFile(file);
  return { dims, set: (described) => ({ ...described, images: new Uint8Array(data) }) };
}

/**
 * The images of an idx file opened: a plain file's pixels stay on file, its header and
 * size checked now and again at every read; a gzipped file is read whole.
 */
async function openIdxImages(file: string): Promise<IdxImages<ImageSource>> {
  const opened = await readFileParts(file, async ({ size, bytesAt }) => {
    const lead = await bytesAt(Math.min(size, MAX_HEADER_BYTES), 0);
    if (isGzip(lead)) return null;
    const { dims, headerBytes } = parseIdxHeader(lead, file);
    checkDataBytes(dims, size - headerBytes, file);
    const where: RowsInFile = { file, offset: headerBytes, header: lead.slice(0, headerBytes), size };
    return { dims, where };
  });
  if (!opened) return loadIdxImages(file);
  return { dims: opened.dims, set: (described) => rowsInFile(described, opened.where) };
}

async function readSplit<S>(folder: string, prefix: string, readImages: ImageReader<S>): Promise<{ images: IdxImages<S>; labels: IdxArray; imageFile: string; labelFile: string }> {
  const imageFile = findFile(folder, prefix, 'images-idx3');
  const labelFile = findFile(folder, prefix, 'labels-idx1');
  const [images, labels] = await Promise.all([readImages(imageFile), readIdxFile(labelFile)]);
  if (images.dims.length < 3) throw new Error(`${imageFile}: expected 3 or 4 dimensions (count, height, width[, channels]), got ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new Error(`${labelFile}: expected 1 dimension (count), got ${labels.dims.length}`);
  if (images.dims[0] !== labels.dims[0]) {
    throw new Error(`idx dataset ${folder}: ${images.dims[0]} images in ${imageFile} but ${labels.dims[0]} labels in ${labelFile}`);
  }
  return { images, labels, imageFile, labelFile };
}

async function readClassNames(folder: string): Promise<string[] | undefined> {
  const file = join(folder, 'classes.txt');
  if (!existsSync(file)) return undefined;
  const names = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length === 0) throw new Error(`${file}: no class names`);
  return names;
}

async function readSuperclasses(folder: string, numClasses: number): Promise<number[][] | undefined> {
  const file = join(folder, 'superclasses.json');
  if (!existsSync(file)) return undefined;
  let groups: unknown;
  try {
    groups = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g) && g.every((c) => Number.isInteger(c)))) {
    throw new Error(`${file}: expected an array of arrays of class ids`);
  }
  checkPartition(groups as number[][], numClasses, file);
  return groups as number[][];
}

function maxLabel(labels: Uint8Array): number {
  let max = 0;
  for (const l of labels) if (l > max) max = l;
  return max;
}

/**
 * Loads an idx folder: `train-*` and `t10k-*` images and labels (plain or .gz). Optional
 * `classes.txt` (one name per line) names the classes, else they are "0", "1", ...;
 * optional `superclasses.json` declares class groups for the distant-class stream.
 */
export async function loadIdxFolder(folder: string, name = 'idx'): Promise<LabeledDataset> {
  return idxFolder(folder, name, loadIdxImages);
}

/** The idx folder of `loadIdxFolder`, its plain image files left on file until a task gathers images from them. */
export async function openIdxFolder(folder: string, name = 'idx'): Promise<DatasetRows> {
  return idxFolder(folder, name, openIdxImages);
}

async function idxFolder<S extends ImageSource>(folder: string, name: string, readImages: ImageReader<S>): Promise<Omit<LabeledDataset, 'train' | 'test'> & { train: S; test: S }> {
  if (!existsSync(folder)) throw new Error(`idx dataset ${folder}: folder not found`);
  if (!statSync(folder).isDirectory()) throw new Error(`idx dataset ${folder}: not a folder`);
  const [train, test] = await Promise.all([readSplit(folder, 'train', readImages), readSplit(folder, 't10k', readImages)]);
  const shape = (a: { dims: number[] }) => a.dims.slice(1).concat(a.dims.length === 3 ? [1] : []);
  const [height, width, channels] = shape(train.images);
  if (shape(test.images).join('x') !== [height, width, channels].join('x')) {
    throw new Error(`idx dataset ${folder}: train images are ${height}x${width}x${channels} but test images are ${shape(test.images).join('x')}`);
  }
  const names = await readClassNames(folder);
  const numClasses = names?.length ?? Math.max(maxLabel(train.labels.data), maxLabel(test.labels.data)) + 1;
  for (const [split, file] of [[train, train.labelFile], [test, test.labelFile]] as const) {
    const i = split.labels.data.findIndex((l) => l >= numClasses);
    if (i >= 0) throw new Error(`${file}: label ${split.labels.data[i]} at index ${i} but classes.txt names only ${numClasses} classes`);
  }
  const classNames = names ?? Array.from({ length: numClasses }, (_, i) => String(i));
  const set = (s: typeof train): S =>
    s.images.set({
      // A plain copy: the parsed array is a view into the file buffer, header included.
      labels: new Uint8Array(s.labels.data),
      count: s.labels.dims[0],
      height,
      width,
      channels,
      numClasses,
      classNames: [...classNames],
    });
  return { name, train: set(train), test: set(test), superclasses: await readSuperclasses(folder, numClasses) };
}
