/**
 * Plain in-memory image datasets, shared by the loaders, the stream splitters and the
 * training engine. Pixels stay as bytes: tensors are the engine's business.
 */

/** A set of labeled images stored contiguously as bytes. */
export interface ImageSet {
  /** `count * height * width * channels` bytes, row-major HWC per image. */
  images: Uint8Array;
  /** One class id per image, each `< numClasses`. */
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  /** Human-readable class names, `numClasses` long. */
  classNames: string[];
  /** Multi-domain data only: each image's index into the dataset's `domains`. */
  domainOf?: Uint8Array;
}

/** A dataset with its train/test split. */
export interface LabeledDataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
  /** Declared class groups (a partition of the classes) for the distant-class stream. */
  superclasses?: number[][];
  /** Multi-domain data (e.g. DomainNet) only: domain names, in stream order. */
  domains?: string[];
  /** Image files that could not be decoded and were left out (folder datasets). */
  skipped?: SkippedFiles;
}

/** Unreadable source files: how many, and the first few with the reason. */
export interface SkippedFiles {
  count: number;
  examples: { file: string; reason: string }[];
}

/** Bytes of one image in `set`. */
export function imageBytes(set: Pick<ImageSet, 'height' | 'width' | 'channels'>): number {
  return set.height * set.width * set.channels;
}
