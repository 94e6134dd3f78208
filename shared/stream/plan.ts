/**
 * The stream plan (which training samples each chunk holds) and the helpers the
 * splitters share. Splitters are pure: the same spec, labels and seed give the same plan
 * on every machine.
 */
import type { StreamSpec } from '../scenario.js';
import { DOMAIN_STYLES } from '../scenario.js';

/** One of the image styles of the domain stream. */
export type DomainStyle = (typeof DOMAIN_STYLES)[number];

/** One chunk of the stream. */
export interface StreamChunk {
  id: number;
  /** Indices into the training set, ascending. */
  indices: Uint32Array;
  /** Class ids present in the chunk, ascending. */
  classes: number[];
  /** Style its images are shown in (always `original` outside the domain stream). */
  style: DomainStyle;
  /** Domain stream on multi-domain data: the real domains (indices into the dataset's) the chunk holds. */
  domains?: number[];
  /**
   * Dirichlet stream: the chunk's training samples of each class (index = class id).
   * Per-chunk evaluation then scores the chunk on test samples in these proportions.
   */
  classCounts?: number[];
}

/** Each training sample's domain, for data that has real domains (e.g. DomainNet). */
export interface SampleDomains {
  /** Domain names in stream order. */
  names: readonly string[];
  /** Index into `names` of each sample. */
  of: Uint8Array;
}

/** How the training set is cut into chunks. */
export interface StreamPlan {
  chunks: StreamChunk[];
}

/** A pure, seeded splitter of a labeled training set into a stream of chunks. */
export type Splitter = (
  spec: StreamSpec,
  labels: Uint8Array,
  numClasses: number,
  seed: number,
  superclasses?: number[][],
  domains?: SampleDomains,
) => StreamPlan;

/** Checks the inputs every splitter relies on. */
export function checkInputs(spec: StreamSpec, labels: Uint8Array, numClasses: number): void {
  if (!Number.isInteger(spec.chunks) || spec.chunks < 1) {
    throw new Error(`stream.chunks: expected a positive integer, got ${spec.chunks}`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`numClasses: expected a positive integer, got ${numClasses}`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) throw new Error(`labels[${i}]: class ${labels[i]} out of range for ${numClasses} classes`);
  }
}

/** Cuts `n` items into `parts` contiguous runs whose lengths differ by at most one. */
export function evenBounds(n: number, parts: number): number[] {
  const bounds = [0];
  const base = Math.floor(n / parts);
  const extra = n % parts;
  for (let p = 0; p < parts; p++) bounds.push(bounds[p] + base + (p < extra ? 1 : 0));
  return bounds;
}

/** Sorted distinct labels occurring at `indices`. */
export function classesAt(labels: Uint8Array, indices: Uint32Array): number[] {
  const seen = new Set<number>();
  for (const i of indices) seen.add(labels[i]);
  return [...seen].sort((a, b) => a - b);
}

/** Sorted distinct labels in the whole set. */
export function presentClasses(labels: Uint8Array): number[] {
  const seen = new Set<number>(labels);
  return [...seen].sort((a, b) => a - b);
}

/** Ascending indices of the samples whose label is in `classes`. */
export function indicesOfClasses(labels: Uint8Array, classes: readonly number[]): Uint32Array {
  const wanted = new Set(classes);
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (wanted.has(labels[i])) count++;
  const out = new Uint32Array(count);
  let k = 0;
  for (let i = 0; i < labels.length; i++) if (wanted.has(labels[i])) out[k++] = i;
  return out;
}

/** Deals already-shuffled sample indices into chunks of `sizes` samples, each sorted. */
export function dealIndices(order: Uint32Array, sizes: readonly number[], labels: Uint8Array, styles: readonly DomainStyle[]): StreamPlan {
  let start = 0;
  return {
    chunks: styles.map((style, id) => {
      const indices = order.slice(start, (start += sizes[id])).sort();
      return { id, indices, classes: classesAt(labels, indices), style };
    }),
  };
}

/** Deals shuffled class groups into chunks: each chunk takes a contiguous run of groups. */
export function splitByClassGroups(groups: readonly (readonly number[])[], chunks: number, labels: Uint8Array): StreamPlan {
  const bounds = evenBounds(groups.length, chunks);
  const plan: StreamPlan = { chunks: [] };
  for (let id = 0; id < chunks; id++) {
    const indices = indicesOfClasses(labels, groups.slice(bounds[id], bounds[id + 1]).flat());
    plan.chunks.push({ id, indices, classes: classesAt(labels, indices), style: 'original' });
  }
  return plan;
}

/** Throws when a chunk came out empty (e.g. its classes were cut away by a sample limit). */
export function checkNoEmptyChunk(plan: StreamPlan, why: string): StreamPlan {
  const empty = plan.chunks.find((c) => c.indices.length === 0);
  if (empty) throw new Error(`stream.chunks: chunk ${empty.id} would be empty (${why})`);
  return plan;
}
