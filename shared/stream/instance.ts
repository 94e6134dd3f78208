/** Instance-incremental stream: every chunk is a random, equal share of all samples. */
import { deriveSeed, shuffledIndices } from '../random.js';
import { checkInputs, splitIndicesEvenly, type Splitter } from './plan.js';

/** Random equal split of the samples; all chunks in the original style. */
export const splitInstance: Splitter = (spec, labels, numClasses, seed) => {
  checkInputs(spec, labels, numClasses);
  if (spec.chunks > labels.length) {
    throw new Error(`stream.chunks: ${spec.chunks} chunks but only ${labels.length} samples`);
  }
  const order = shuffledIndices(labels.length, deriveSeed(seed, 'stream', 'instance'));
  return splitIndicesEvenly(order, spec.chunks, labels, new Array(spec.chunks).fill('original'));
};
