/** Random class-incremental stream: chunks hold disjoint, randomly chosen sets of classes. */
import { deriveSeed, Random } from '../random.js';
import { checkInputs, presentClasses, splitByClassGroups, type Splitter } from './plan.js';

/** Classes (those present in `labels`) shuffled with the seed and dealt into near-equal runs. */
export const splitRandomClass: Splitter = (spec, labels, numClasses, seed) => {
  checkInputs(spec, labels, numClasses);
  const classes = presentClasses(labels);
  if (spec.chunks > classes.length) {
    throw new Error(`stream.chunks: ${spec.chunks} chunks but only ${classes.length} classes`);
  }
  new Random(deriveSeed(seed, 'stream', 'random-class')).shuffle(classes);
  return splitByClassGroups(
    classes.map((c) => [c]),
    spec.chunks,
    labels,
  );
};
