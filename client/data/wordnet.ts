/**
 * Superclasses of ImageNet classes from the WordNet hierarchy, for the distant-class
 * stream: classes that share a close ancestor (all dogs, all birds) stay in one group.
 * The hierarchy ships as a small wnid -> parent map (./wordnet/imagenet100-hierarchy.json,
 * made by scripts/wordnet-parents.mjs from WordNet 3.0) covering the ImageNet-100 classes.
 */
import { readFileSync } from 'node:fs';

export interface WordnetHierarchy {
  /** wnid -> its (first) hypernym; the root has none. */
  parent: Record<string, string>;
  /** wnid -> its first lemma, for messages and reports. */
  names: Record<string, string>;
}

/** Groups to aim for: enough for a 10-chunk distant-class stream. */
export const DEFAULT_SUPERCLASS_TARGET = 10;

let shipped: WordnetHierarchy | undefined;

/** The hierarchy shipped with streamssl. */
export function shippedHierarchy(): WordnetHierarchy {
  shipped ??= JSON.parse(readFileSync(new URL('./wordnet/imagenet100-hierarchy.json', import.meta.url), 'utf8')) as WordnetHierarchy;
  return shipped;
}

/** Whether every name is a wnid the hierarchy knows. */
export function coversAll(hierarchy: WordnetHierarchy, wnids: readonly string[]): boolean {
  return wnids.every((w) => hierarchy.names[w] !== undefined);
}

/** Root-to-`wnid` path of synsets. */
function pathFromRoot(hierarchy: WordnetHierarchy, wnid: string): string[] {
  if (hierarchy.names[wnid] === undefined) throw new Error(`wordnet: ${wnid} is not in the shipped hierarchy`);
  const path = [wnid];
  for (let w = hierarchy.parent[wnid]; w !== undefined; w = hierarchy.parent[w]) {
    if (path.includes(w)) throw new Error(`wordnet: the hierarchy has a cycle through ${w}`);
    path.push(w);
  }
  return path.reverse();
}

interface Group {
  /** Depth (in every member's path) of the synset the group hangs from. */
  depth: number;
  members: number[];
}

/**
 * Splits the classes into about `target` groups, each the classes under one synset:
 * starting from everything under the common root, the largest group is split at the
 * first synset where its classes part ways, until there are `target` groups or no group
 * can be split. Groups come out ordered by their smallest class id.
 */
export function hierarchyGroups(hierarchy: WordnetHierarchy, classWnids: readonly string[], target = DEFAULT_SUPERCLASS_TARGET): number[][] {
  const paths = classWnids.map((w) => pathFromRoot(hierarchy, w));
  const childAt = (member: number, depth: number) => paths[member][depth + 1];
  const splittable = (g: Group) => g.members.length > 1;
  let groups: Group[] = [{ depth: 0, members: classWnids.map((_, i) => i) }];
  while (groups.length < target) {
    const candidates = groups.filter(splittable);
    if (candidates.length === 0) break;
    const largest = candidates.reduce((a, b) => (b.members.length > a.members.length ? b : a));
    // Walk down while all members go the same way: the split happens where they part.
    let depth = largest.depth;
    while (largest.members.every((m) => childAt(m, depth) !== undefined && childAt(m, depth) === childAt(largest.members[0], depth))) depth++;
    const byChild = new Map<string, number[]>();
    for (const m of largest.members) {
      const key = childAt(m, depth) ?? `self:${m}`;
      byChild.set(key, [...(byChild.get(key) ?? []), m]);
    }
    groups = groups.filter((g) => g !== largest).concat([...byChild.values()].map((members) => ({ depth: depth + 1, members })));
  }
  return groups.map((g) => [...g.members].sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
}
