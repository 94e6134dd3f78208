/** Instance-incremental stream: every chunk is a random share of all samples (equal, or per `stream.sizes`). */
import { deriveSeed, shuffledIndices } from '../random.js';
import { checkInputs, dealIndices, type Splitter } from './plan.js';
import { chunkSizes } from './sizes.js';

/** Random split of the samples into chunks of `chunkSizes`; all chunks in the original style. */
export const splitInstance: Splitter = (spec, labels, numClasses, seed) => {
  checkInputs(spec, labels, numClasses);
  const sizes = chunkSizes(spec, labels.length);
  const order = shuffledIndices(labels.length, deriveSeed(seed, 'stream', 'instance'));
  return dealIndices(order, sizes, labels, new Array(spec.chunks).fill('original'));
};
