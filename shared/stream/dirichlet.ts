/**
 * Dirichlet (non-IID) stream, as Hsu et al. 2019 ("Measuring the effects of non-identical
 * data distribution for federated visual classification") synthesize clients: each chunk's
 * class proportions are drawn from a symmetric Dir(alpha). Small alpha gives chunks
 * dominated by one or two classes (towards the class-incremental stream), large alpha
 * near-uniform chunks (towards the instance stream).
 *
 * Drawn proportions rarely add up to the classes' real sample counts, so the split is the
 * table of counts closest to them (iterative proportional fitting, ./fit-counts.ts) in
 * which every sample is in exactly one chunk and every chunk has its size from
 * `stream.sizes` (near-equal by default, never below one sample, so no chunk is empty).
 */
import { dirichletSample } from '../random-gamma.js';
import { deriveSeed, Random, shuffledIndices } from '../random.js';
import { fitMargins, roundMargins } from './fit-counts.js';
import { checkInputs, classesAt, presentClasses, type Splitter, type StreamChunk } from './plan.js';
import { chunkSizes } from './sizes.js';

/** Chunk `j` draws its class mix from Dir(alpha) and gets its share of each class's samples, picked at random. */
export const splitDirichlet: Splitter = (spec, labels, numClasses, seed) => {
  checkInputs(spec, labels, numClasses);
  const alpha = spec.alpha;
  if (alpha === undefined || !(alpha > 0) || !Number.isFinite(alpha)) {
    throw new Error(`stream.alpha: the dirichlet stream needs a positive finite alpha, got ${alpha}`);
  }
  const sizes = chunkSizes(spec, labels.length);
  const classes = presentClasses(labels);
  const column = new Map(classes.map((c, k) => [c, k]));
  const perClass = new Array<number>(classes.length).fill(0);
  for (const l of labels) perClass[column.get(l)!]++;

  const rng = new Random(deriveSeed(seed, 'stream', 'dirichlet'));
  const mixes = sizes.map(() => dirichletSample(rng, alpha, classes.length));
  const counts = roundMargins(fitMargins(mixes, sizes, perClass), sizes, perClass);

  // Deal each class's samples, in a seeded random order, to the chunks in turn.
  const left = counts.map((row) => [...row]);
  const cursor = new Array<number>(classes.length).fill(0);
  const owner = new Uint32Array(labels.length);
  for (const i of shuffledIndices(labels.length, deriveSeed(seed, 'stream', 'dirichlet', 'deal'))) {
    const k = column.get(labels[i])!;
    while (left[cursor[k]][k] === 0) cursor[k]++;
    left[cursor[k]][k]--;
    owner[i] = cursor[k];
  }
  const members = sizes.map(() => [] as number[]);
  owner.forEach((j, i) => members[j].push(i));
  const chunks: StreamChunk[] = members.map((list, id) => {
    const indices = Uint32Array.from(list);
    const classCounts = new Array<number>(numClasses).fill(0);
    classes.forEach((c, k) => (classCounts[c] = counts[id][k]));
    return { id, indices, classes: classesAt(labels, indices), style: 'original', classCounts };
  });
  return { chunks };
};
