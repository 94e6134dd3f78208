/**
 * A small deterministic synthetic dataset for tests and quick runs: 10 classes of
 * grayscale images, each class a distinct shape or texture drawn at a random position,
 * scale, thickness and contrast with pixel noise. The shapes are chosen to stay apart
 * under horizontal flips (MoCo's augmentation), so an encoder can learn to separate them.
 *
 * Only exact arithmetic is used (seeded uniforms, + - * /, sqrt), so every machine draws
 * the same bytes.
 */
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed, Random } from '../../shared/random.js';

/** Fixed seed of the synthetic data: the data is a constant, scenarios vary only the split. */
export const SYNTHETIC_SEED = 20220425;
export const SYNTHETIC_DEFAULT_PER_CLASS = 200;
export const SYNTHETIC_DEFAULT_IMAGE_SIZE = 16;

export const SYNTHETIC_CLASS_NAMES = ['h-bar', 'v-bar', 'ring', 'disc', 'plus', 'cross', 'h-stripes', 'v-stripes', 'checker', 'triangle'];

/** Lines, crossings, round shapes and textures: the groups of the distant-class stream. */
export const SYNTHETIC_SUPERCLASSES = [[0, 1], [4, 5], [2, 3, 9], [6, 7, 8]];

type Shape = (u: number, v: number, t: number) => boolean;

const inBox = (u: number, v: number, r: number) => Math.abs(u) < r && Math.abs(v) < r;
const band = (w: number, periods: number) => Math.floor((w + 1) * periods) % 2 === 0;

/** Shape predicates over coordinates u (right) and v (down) in about [-1, 1]; t is the stroke width. */
const SHAPES: Shape[] = [
  (u, v, t) => Math.abs(v) < t && Math.abs(u) < 0.85,
  (u, v, t) => Math.abs(u) < t && Math.abs(v) < 0.85,
  (u, v, t) => Math.abs(Math.sqrt(u * u + v * v) - 0.6) < t * 0.8,
  (u, v) => u * u + v * v < 0.3,
  (u, v, t) => (Math.abs(u) < t && Math.abs(v) < 0.8) || (Math.abs(v) < t && Math.abs(u) < 0.8),
  (u, v, t) => inBox(u, v, 0.75) && (Math.abs(u - v) < t * 1.3 || Math.abs(u + v) < t * 1.3),
  (u, v) => inBox(u, v, 0.85) && band(v, 3),
  (u, v) => inBox(u, v, 0.85) && band(u, 3),
  (u, v) => inBox(u, v, 0.9) && (Math.floor((u + 1) * 2) + Math.floor((v + 1) * 2)) % 2 === 0,
  (u, v) => v > -0.75 && v < 0.7 && Math.abs(u) < ((v + 0.75) / 1.45) * 0.85,
];

/** Draws sample `index` of a split: its class is `index % 10`, its look a function of (split, index). */
function drawSample(out: Uint8Array, offset: number, size: number, split: string, index: number): number {
  const label = index % SHAPES.length;
  const rng = new Random(deriveSeed(SYNTHETIC_SEED, split, index));
  const cx = rng.uniform(-0.2, 0.2);
  const cy = rng.uniform(-0.2, 0.2);
  const scale = rng.uniform(0.7, 1.05);
  const stroke = rng.uniform(0.16, 0.26);
  const background = rng.uniform(0, 50);
  const foreground = rng.uniform(150, 255);
  const shape = SHAPES[label];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (((x + 0.5) / size) * 2 - 1 - cx) / scale;
      const v = (((y + 0.5) / size) * 2 - 1 - cy) / scale;
      const base = shape(u, v, stroke) ? foreground : background;
      // Triangular noise (sum of two uniforms) in about ±24.
      const noise = (rng.next() + rng.next() - 1) * 24;
      out[offset + y * size + x] = Math.max(0, Math.min(255, Math.round(base + noise)));
    }
  }
  return label;
}

function makeSet(split: string, count: number, size: number): ImageSet {
  const images = new Uint8Array(count * size * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = drawSample(images, i * size * size, size, split, i);
  return { images, labels, count, height: size, width: size, channels: 1, numClasses: SHAPES.length, classNames: [...SYNTHETIC_CLASS_NAMES] };
}

/**
 * The synthetic dataset: `perClass` training images per class and a fifth as many (at
 * least 2) test images per class, `imageSize` pixels square. Sample `i` of a split does
 * not depend on `perClass`, so a bigger set extends a smaller one.
 */
export function generateSynthetic(options: { perClass?: number; imageSize?: number } = {}): LabeledDataset {
  const perClass = options.perClass ?? SYNTHETIC_DEFAULT_PER_CLASS;
  const size = options.imageSize ?? SYNTHETIC_DEFAULT_IMAGE_SIZE;
  if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`dataset.perClass: expected a positive integer, got ${perClass}`);
  if (!Number.isInteger(size) || size < 8 || size > 64) throw new Error(`dataset.imageSize: expected an integer in 8..64, got ${size}`);
  const classes = SHAPES.length;
  const testPerClass = Math.max(2, Math.ceil(perClass / 5));
  return {
    name: 'synthetic',
    train: makeSet('train', perClass * classes, size),
    test: makeSet('test', testPerClass * classes, size),
    superclasses: SYNTHETIC_SUPERCLASSES.map((g) => [...g]),
  };
}
