/**
 * Distant class-incremental stream: each chunk takes whole superclass groups, so classes
 * that look alike (e.g. all footwear) never straddle chunks and chunks differ the most.
 */
import { deriveSeed, Random } from '../random.js';
import { checkInputs, checkNoEmptyChunk, splitByClassGroups, type Splitter } from './plan.js';

/** Checks that `groups` partition 0..numClasses-1; `field` names them in errors. */
export function checkPartition(groups: readonly (readonly number[])[], numClasses: number, field: string): void {
  const owner = new Map<number, number>();
  groups.forEach((group, g) => {
    if (group.length === 0) throw new Error(`${field}[${g}]: empty group`);
    group.forEach((c, k) => {
      if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
        throw new Error(`${field}[${g}][${k}]: class ${c} out of range 0..${numClasses - 1}`);
      }
      const first = owner.get(c);
      if (first !== undefined) throw new Error(`${field}: class ${c} is in groups ${first} and ${g}; groups must be disjoint`);
      owner.set(c, g);
    });
  });
  const missing: number[] = [];
  for (let c = 0; c < numClasses; c++) if (!owner.has(c)) missing.push(c);
  if (missing.length > 0) throw new Error(`${field}: class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} in no group`);
}

/** Superclass groups (from `spec.superclasses`, else the dataset's) shuffled and dealt. */
export const splitDistantClass: Splitter = (spec, labels, numClasses, seed, superclasses) => {
  checkInputs(spec, labels, numClasses);
  const field = spec.superclasses ? 'stream.superclasses' : "the dataset's superclasses";
  const groups = (spec.superclasses ?? superclasses)?.map((g) => [...g]);
  if (!groups) {
    throw new Error('stream.superclasses: the distant-class stream needs class groups and the dataset declares none');
  }
  checkPartition(groups, numClasses, field);
  if (spec.chunks > groups.length) {
    throw new Error(`stream.chunks: ${spec.chunks} chunks but only ${groups.length} superclass groups (${field})`);
  }
  new Random(deriveSeed(seed, 'stream', 'distant-class')).shuffle(groups);
  return checkNoEmptyChunk(splitByClassGroups(groups, spec.chunks, labels), 'none of its classes has samples');
};
