/** The stream splitters by stream type, and the one entry point that dispatches on it. */
import type { StreamSpec, StreamType } from '../scenario.js';
import { splitDirichlet } from './dirichlet.js';
import { splitDistantClass } from './distant-class.js';
import { splitDomain } from './domain.js';
import { splitInstance } from './instance.js';
import type { SampleDomains, Splitter, StreamPlan } from './plan.js';
import { splitRandomClass } from './random-class.js';

export type { DomainStyle, SampleDomains, Splitter, StreamChunk, StreamPlan } from './plan.js';
export { checkPartition } from './distant-class.js';
export { domainStyles } from './domain.js';
export { apportion, pickByClassQuota } from './apportion.js';
export { chunkSizes, chunkWeights } from './sizes.js';
export { testSamplesWithMix } from './test-mix.js';

/** Every stream type's splitter. */
export const SPLITTERS: Record<StreamType, Splitter> = {
  instance: splitInstance,
  'random-class': splitRandomClass,
  'distant-class': splitDistantClass,
  domain: splitDomain,
  dirichlet: splitDirichlet,
};

/**
 * Cuts a training set (its `labels`) into the chunks of `spec`; a pure function of its
 * arguments. `superclasses` is the dataset's declared class grouping, used by the
 * distant-class stream when the spec names none; `domains` are the samples' real domains,
 * which the domain stream then follows instead of rendering styles.
 */
export function splitStream(spec: StreamSpec, labels: Uint8Array, numClasses: number, seed: number, superclasses?: number[][], domains?: SampleDomains): StreamPlan {
  const splitter = SPLITTERS[spec.type];
  if (!splitter) throw new Error(`stream.type: unknown stream type "${String(spec.type)}" (one of ${Object.keys(SPLITTERS).join(', ')})`);
  return splitter(spec, labels, numClasses, seed, superclasses, domains);
}
