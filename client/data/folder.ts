/**
 * The `folder` dataset: image files in an ImageNet, DomainNet or class-folder layout
 * (./folder-layout.ts), decoded and resized in memory to `imageSize` squares
 * (./image-decode.ts). A folder without its own split gets a seeded 80/20 split,
 * stratified by class (and domain). Unreadable files are skipped and counted; only a
 * folder with nothing readable fails. ImageNet class folders named by wnid get WordNet
 * superclasses; DomainNet images carry their domain. Decoded arrays are cached on disk
 * (./folder-cache.ts), so only the first client to load a folder decodes it.
 */
import type { DatasetSpec } from '../../shared/scenario.js';
import type { ImageSet, LabeledDataset, SkippedFiles } from '../../shared/dataset-types.js';
import { deriveSeed, Random } from '../../shared/random.js';
import { defaultCacheDir } from './cache-folder.js';
import { folderCacheFile, openFolderCache, readFolderCache, writeFolderCache, type DecodedSplit } from './folder-cache.js';
import { listFolder, type FolderEntry, type FolderListing } from './folder-layout.js';
import { decodeImages } from './image-decode.js';
import type { DatasetRows, ImageSource } from './image-rows.js';
import { coversAll, hierarchyGroups, shippedHierarchy } from './wordnet.js';

/** Seed of the split of folders without one; a constant so the split never moves. */
export const FOLDER_SPLIT_SEED = 0x464f4c44;
export const FOLDER_TRAIN_FRACTION = 0.8;
export const FOLDER_DEFAULT_IMAGE_SIZE = 32;
/** Skipped files named in the report; the count covers them all. */
const SKIPPED_EXAMPLES = 5;

/** Seeded stratified split: each (class, domain) keeps 80% in train, at least one in test when it has two. */
export function splitEntries(entries: readonly FolderEntry[]): { train: FolderEntry[]; test: FolderEntry[] } {
  const strata = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const key = `${e.label}/${e.domain ?? 0}`;
    strata.set(key, [...(strata.get(key) ?? []), i]);
  });
  const toTest = new Set<number>();
  for (const [key, members] of strata) {
    const order = new Random(deriveSeed(FOLDER_SPLIT_SEED, key)).shuffle([...members]);
    const cut = Math.min(Math.round(order.length * FOLDER_TRAIN_FRACTION), order.length - 1);
    for (const i of order.slice(Math.max(cut, 1))) toTest.add(i);
  }
  return { train: entries.filter((_, i) => !toTest.has(i)), test: entries.filter((_, i) => toTest.has(i)) };
}

function toImageSet(entries: readonly FolderEntry[], pixels: Uint8Array, ok: readonly boolean[], listing: FolderListing, size: number, channels: number): ImageSet {
  const bytes = size * size * channels;
  const kept = entries.map((_, i) => i).filter((i) => ok[i]);
  const images = new Uint8Array(kept.length * bytes);
  kept.forEach((i, k) => images.set(pixels.subarray(i * bytes, (i + 1) * bytes), k * bytes));
  const set: ImageSet = {
    images,
    labels: Uint8Array.from(kept, (i) => entries[i].label),
    count: kept.length,
    height: size,
    width: size,
    channels,
    numClasses: listing.classNames.length,
    classNames: [...listing.classNames],
  };
  if (listing.domains) set.domainOf = Uint8Array.from(kept, (i) => entries[i].domain ?? 0);
  return set;
}

/** WordNet groups when every class folder is a wnid of the shipped hierarchy. */
function wordnetSuperclasses(listing: FolderListing): number[][] | undefined {
  const hierarchy = shippedHierarchy();
  return listing.layout === 'imagenet' && coversAll(hierarchy, listing.classNames) ? hierarchyGroups(hierarchy, listing.classNames) : undefined;
}

/** Decodes the files of both splits; throws only when a split has no readable image. */
async function decodeSplit(split: { train: FolderEntry[]; test: FolderEntry[] }, listing: FolderListing, size: number, channels: 1 | 3, root: string): Promise<DecodedSplit> {
  const all = [...split.train, ...split.test];
  const decoded = await decodeImages(
    all.map((e) => e.file),
    { size, channels },
  );
  const cut = split.train.length;
  const bytes = size * size * channels;
  const train = toImageSet(split.train, decoded.pixels.subarray(0, cut * bytes), decoded.ok.slice(0, cut), listing, size, channels);
  const test = toImageSet(split.test, decoded.pixels.subarray(cut * bytes), decoded.ok.slice(cut), listing, size, channels);
  if (train.count === 0 || test.count === 0) {
    const reason = decoded.failures[0] ? ` (e.g. ${decoded.failures[0].file}: ${decoded.failures[0].reason})` : '';
    throw new Error(`dataset.path: no readable ${train.count === 0 ? 'training' : 'test'} images under ${root}${reason}`);
  }
  return { train, test, skipped: { count: decoded.failures.length, examples: decoded.failures.slice(0, SKIPPED_EXAMPLES) } };
}

/** Loads the folder dataset of `spec` (a `folder` spec with a path). */
export async function loadFolderDataset(spec: DatasetSpec): Promise<LabeledDataset> {
  return folderDataset(spec, readFolderCache);
}

/**
 * The folder dataset of `spec` with its images left in the cache file when there is a
 * whole one (./image-rows.ts); else decoded, cached and held in memory.
 */
export async function openFolderDataset(spec: DatasetSpec): Promise<DatasetRows> {
  return folderDataset<ImageSource>(spec, openFolderCache);
}

async function folderDataset<S extends ImageSource>(spec: DatasetSpec, readCache: (file: string) => Promise<{ train: S; test: S; skipped: SkippedFiles } | undefined>): Promise<DatasetRows & { train: S | ImageSet; test: S | ImageSet }> {
  if (!spec.path) throw new Error('dataset.path: dataset "folder" needs a path to the root of an image folder');
  const listing = listFolder(spec.path, { layout: spec.layout ?? 'auto', ...(spec.domains ? { domains: spec.domains } : {}), ...(spec.classes ? { classes: spec.classes } : {}) });
  const split = listing.test ? { train: listing.train, test: listing.test } : splitEntries(listing.train);
  const size = spec.imageSize ?? FOLDER_DEFAULT_IMAGE_SIZE;
  const channels = spec.channels ?? 3;
  const cacheFile = await folderCacheFile(defaultCacheDir(), split, size, channels);
  let decoded: { train: S | ImageSet; test: S | ImageSet; skipped: SkippedFiles } | undefined = await readCache(cacheFile);
  if (!decoded) {
    const fresh = await decodeSplit(split, listing, size, channels, spec.path);
    await writeFolderCache(cacheFile, fresh);
    decoded = fresh;
  }
  const { train, test, skipped } = decoded;
  if (skipped.count > 0) {
    process.emitWarning(`${skipped.count} unreadable image file(s) skipped, e.g. ${skipped.examples.map((e) => `${e.file} (${e.reason})`).join('; ')}`, {
      code: 'STREAMSSL_SKIPPED_IMAGES',
    });
  }
  const superclasses = wordnetSuperclasses(listing);
  return {
    name: 'folder',
    train,
    test,
    skipped,
    ...(superclasses ? { superclasses } : {}),
    ...(listing.domains ? { domains: [...listing.domains] } : {}),
  };
}
