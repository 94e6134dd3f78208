/**
 * Dataset loading by name, sample limits, and gathering a stream's chunks (styles applied)
 * into the image set a client trains on.
 */
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { imageBytes } from '../../shared/dataset-types.js';
import { deriveSeed, shuffledIndices } from '../../shared/random.js';
import type { DatasetName, DatasetSpec, StreamSpec } from '../../shared/scenario.js';
import { apportion, pickByClassQuota, splitStream, type DomainStyle, type StreamPlan } from '../../shared/stream/index.js';
import type { DataSelection } from '../../shared/tasks.js';
import { loadFashionMnist, openFashionMnist } from './fashion-mnist.js';
import { loadFolderDataset, openFolderDataset } from './folder.js';
import { loadIdxFolder, openIdxFolder } from './idx.js';
import { readImages, type DatasetRows, type ImageSource } from './image-rows.js';
import { loadMnist } from './mnist.js';
import { sharedBytes } from './shared-bytes.js';
import { applyStyle } from './styles.js';
import { generateSynthetic } from './synthetic.js';

/** Loads the full dataset named by a spec (limits not applied). */
export type DatasetLoader = (spec: DatasetSpec) => Promise<LabeledDataset>;

/** Every dataset name's loader. */
export const DATASET_LOADERS: Record<DatasetName, DatasetLoader> = {
  'fashion-mnist': () => loadFashionMnist(),
  mnist: () => loadMnist(),
  idx: (spec) => loadIdxFolder(idxPath(spec)),
  synthetic: async (spec) => generateSynthetic({ perClass: spec.perClass, imageSize: spec.imageSize }),
  folder: loadFolderDataset,
};

/**
 * Datasets whose pixels can stay on file until a task gathers them (./image-rows.ts); the
 * others are loaded whole.
 */
const DATASET_OPENERS: Partial<Record<DatasetName, (spec: DatasetSpec) => Promise<DatasetRows>>> = {
  'fashion-mnist': () => openFashionMnist(),
  idx: (spec) => openIdxFolder(idxPath(spec)),
  folder: openFolderDataset,
};

/** The folder of an idx dataset's spec. */
function idxPath(spec: DatasetSpec): string {
  if (!spec.path) throw new Error('dataset.path: dataset "idx" needs a path to a folder of idx files');
  return spec.path;
}

/** Seed of the sample limits: fixed, so a limited dataset is the same in every scenario. */
const LIMIT_SEED = 0x4c494d54;

/** An image set shaped as `set`, for `count` zeroed samples (pixels in `images` when given). */
function emptyLike(set: ImageSource, count: number, images: Uint8Array = new Uint8Array(count * imageBytes(set))): ImageSet {
  const out: ImageSet = { images, labels: new Uint8Array(count), count, height: set.height, width: set.width, channels: set.channels, numClasses: set.numClasses, classNames: [...set.classNames] };
  if (set.domainOf) out.domainOf = new Uint8Array(count);
  return out;
}

/** Copies the samples at `indices` (in that order) into a new image set. */
export function subset(set: ImageSource, indices: ArrayLike<number>): ImageSet {
  const out = emptyLike(set, indices.length);
  gatherInto(set, indices, out, 0);
  return out;
}

/**
 * Copies the images, labels and (where both sets have them) domains of the samples at
 * `indices` of `set` into `out` from sample `at` on.
 */
function gatherInto(set: ImageSource, indices: ArrayLike<number>, out: Pick<ImageSet, 'images' | 'labels' | 'domainOf'>, at: number): void {
  readImages(set, indices, out.images, at);
  const domains = set.domainOf && out.domainOf ? { from: set.domainOf, to: out.domainOf } : null;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out.labels[at + k] = set.labels[i];
    if (domains) domains.to[at + k] = domains.from[i];
  }
}

/**
 * At most `limit` samples, stratified: each class keeps its share of `limit` (largest
 * remainders round), chosen by a fixed-seed shuffle, kept in their original order.
 */
export function limitStratified<S extends ImageSource>(set: S, limit: number, seedLabel: string): S | ImageSet {
  if (limit >= set.count) return set;
  const perClass = new Array<number>(set.numClasses).fill(0);
  for (const l of set.labels) perClass[l]++;
  return subset(set, pickByClassQuota(set.labels, apportion(perClass, limit), shuffledIndices(set.count, deriveSeed(LIMIT_SEED, seedLabel))));
}

function loaderOf(spec: DatasetSpec): DatasetLoader {
  const loader = DATASET_LOADERS[spec.name];
  if (!loader) throw new Error(`dataset.name: unknown dataset "${String(spec.name)}" (one of ${Object.keys(DATASET_LOADERS).join(', ')})`);
  return loader;
}

/** A dataset whose splits are `S`s. */
type Splits<S extends ImageSource> = Omit<LabeledDataset, 'train' | 'test'> & { train: S; test: S };

/** `spec`'s trainLimit/testLimit applied (stratified, fixed seed). */
function withLimits<S extends ImageSource>(dataset: Splits<S>, spec: DatasetSpec): Splits<S | ImageSet> {
  return {
    ...dataset,
    train: spec.trainLimit ? limitStratified(dataset.train, spec.trainLimit, 'train') : dataset.train,
    test: spec.testLimit ? limitStratified(dataset.test, spec.testLimit, 'test') : dataset.test,
  };
}

/** Loads the dataset of `spec`, every image in memory, and applies its trainLimit/testLimit. */
export async function loadDataset(spec: DatasetSpec): Promise<LabeledDataset> {
  return withLimits(await loaderOf(spec)(spec), spec);
}

/**
 * The dataset of `spec` with its limits, its pixels left on file where its loader can
 * (./image-rows.ts): what a task gathers its chunks and subsets from.
 */
export async function openDataset(spec: DatasetSpec): Promise<DatasetRows> {
  const open = DATASET_OPENERS[spec.name];
  return withLimits<ImageSource>(open ? await open(spec) : await loaderOf(spec)(spec), spec);
}

/** The stream plan of a dataset's training set. */
export function planStream(dataset: DatasetRows, stream: StreamSpec, seed: number): StreamPlan {
  const domains = dataset.domains && dataset.train.domainOf ? { names: dataset.domains, of: dataset.train.domainOf } : undefined;
  return splitStream(stream, dataset.train.labels, dataset.train.numClasses, seed, dataset.superclasses, domains);
}

/**
 * The training samples of chunks `chunkIds` (in that order, each chunk's samples
 * ascending), every chunk rendered in its style.
 */
export function selectChunks(dataset: DatasetRows, plan: StreamPlan, chunkIds: readonly number[]): ImageSet {
  const chunks = chunksOf(plan, chunkIds);
  const train = dataset.train;
  const size = imageBytes(train);
  const count = chunks.reduce((n, c) => n + c.indices.length, 0);
  // Gathered straight into memory the input pipeline's workers share (./shared-bytes.ts):
  // no per-chunk copies on the way, and no second copy when training starts.
  const out = emptyLike(train, count, sharedBytes(count * size));
  let at = 0;
  for (const { indices, style } of chunks) {
    gatherStyled(train, indices, style, out, at);
    at += indices.length;
  }
  return out;
}

/** `gatherInto`, the images gathered then rendered in `style`. */
function gatherStyled(set: ImageSource, indices: ArrayLike<number>, style: DomainStyle, out: ImageSet, at: number): void {
  gatherInto(set, indices, out, at);
  if (style === 'original') return;
  const size = imageBytes(set);
  const images = out.images.subarray(at * size, (at + indices.length) * size);
  images.set(applyStyle(style, images, { ...set, count: indices.length }));
}

/** The chunks `chunkIds` of `plan`, in that order; an unknown or repeated id is an error. */
function chunksOf(plan: StreamPlan, chunkIds: readonly number[]): StreamPlan['chunks'] {
  const seen = new Set<number>();
  return chunkIds.map((id) => {
    const chunk = plan.chunks.find((c) => c.id === id);
    if (!chunk) throw new Error(`chunks: no chunk ${id} in a stream of ${plan.chunks.length} chunks`);
    if (seen.has(id)) throw new Error(`chunks: chunk ${id} selected twice`);
    seen.add(id);
    return chunk;
  });
}

/**
 * The samples at `positions` of chunks `chunkIds` taken together (positions into what
 * `selectChunks` gives for them, in that order), each rendered in its chunk's style: what
 * `subset(selectChunks(dataset, plan, chunkIds), positions)` gives, reading and styling
 * only these images (styles work image by image).
 */
export function selectChunkSamples(dataset: DatasetRows, plan: StreamPlan, chunkIds: readonly number[], positions: ArrayLike<number>): ImageSet {
  const chunks = chunksOf(plan, chunkIds);
  const starts: number[] = [];
  let total = 0;
  for (const chunk of chunks) {
    starts.push(total);
    total += chunk.indices.length;
  }
  // The output slots of each chunk's samples: one gather and one style per chunk.
  const slotsOf = chunks.map((): number[] => []);
  for (let k = 0; k < positions.length; k++) {
    const p = positions[k];
    if (!(Number.isInteger(p) && p >= 0 && p < total)) throw new Error(`chunks: sample position ${p} out of range 0..${total - 1}`);
    let j = chunks.length - 1;
    while (starts[j] > p) j--;
    slotsOf[j].push(k);
  }
  // Gathered and styled chunk by chunk, then put in the order asked.
  const grouped = emptyLike(dataset.train, positions.length);
  const placeOf = new Array<number>(positions.length);
  let at = 0;
  chunks.forEach((chunk, j) => {
    const slots = slotsOf[j];
    gatherStyled(dataset.train, slots.map((k) => chunk.indices[positions[k] - starts[j]]), chunk.style, grouped, at);
    slots.forEach((k, m) => (placeOf[k] = at + m));
    at += slots.length;
  });
  return subset(grouped, placeOf);
}

/** Loads the dataset of a selection and gathers its chunks: what a client trains on. */
export async function loadSelection(selection: DataSelection): Promise<{ dataset: LabeledDataset; plan: StreamPlan; train: ImageSet }> {
  const dataset = await loadDataset(selection.dataset);
  const plan = planStream(dataset, selection.stream, selection.seed);
  return { dataset, plan, train: selectChunks(dataset, plan, selection.chunks) };
}
