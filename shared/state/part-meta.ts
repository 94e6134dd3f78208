/**
 * What a model state says about its own parts, so that code combining states (fedavg's
 * weighted average, the line between two models) needs no method's part or array names.
 * The method that exports a state declares it (MoCo v2 for its queue); a part without an
 * entry is parameters: averaged, every array a quantity.
 */
import { isRecord, type MethodState } from './arrays.js';

/** How fedavg combines a part across clients' states. */
export const PART_COMBINES = ['average', 'whole'] as const;
export type PartCombine = (typeof PART_COMBINES)[number];

/** What an array holds when it is not a quantity. */
export const ARRAY_KINDS = ['position', 'unit-rows'] as const;
export type ArrayKind = (typeof ARRAY_KINDS)[number];

/** How one part of a method's state combines with the same part of other states. */
export interface PartMeta {
  /**
   * `average`: parameters, averaged weighted by each state's samples. `whole`: taken
   * whole from one state (the one trained on most samples), for parts whose arrays mean
   * something only together: averaging a FIFO queue of past keys slot by slot would
   * blur unrelated keys into each other.
   */
  combine: PartCombine;
  /**
   * The part's arrays that are not quantities: `position` (an index, such as a queue's
   * write pointer: never mixed, taken from one state), `unit-rows` (a 2-D array whose
   * rows are unit vectors, such as normalized keys: mixed on the sphere, not inside it).
   */
  arrays?: Record<string, ArrayKind>;
}

/** Part metadata by part name; parts not named are averaged parameters. */
export type PartsMeta = Record<string, PartMeta>;

const PARAMETERS: PartMeta = { combine: 'average' };

/** The metadata of `part` (averaged parameters when the state says nothing of it). */
export function partMetaOf(meta: PartsMeta | undefined, part: string): PartMeta {
  return meta && Object.hasOwn(meta, part) ? meta[part] : PARAMETERS;
}

/** What array `name` of `part` holds: a quantity unless the state says otherwise. */
export function arrayKind(meta: PartsMeta | undefined, part: string, name: string): ArrayKind | 'quantity' {
  const arrays = partMetaOf(meta, part).arrays;
  return arrays && Object.hasOwn(arrays, name) ? arrays[name] : 'quantity';
}

/**
 * The metadata in words, the same for metadata that says the same (defaults spelt out
 * or not, any order): for comparing two states' metadata and naming the difference.
 */
export function describePartsMeta(meta: PartsMeta | undefined): string {
  const parts = Object.entries(meta ?? {})
    .map(([part, { combine, arrays }]) => {
      const kinds = Object.entries(arrays ?? {}).map(([name, kind]) => `${name}: ${kind}`).sort();
      return combine === 'average' && kinds.length === 0 ? '' : `${part} ${combine}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`;
    })
    .filter((s) => s !== '')
    .sort();
  return parts.length > 0 ? parts.join('; ') : 'all parts averaged';
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

/**
 * Checks decoded metadata against the state it came with: every part and array it names
 * must exist, every value be one this format knows, unit rows be 2-D. Errors start with
 * `where` and name the offending field.
 */
export function checkPartsMeta(raw: unknown, methodState: MethodState, where: string): PartsMeta {
  if (!isRecord(raw)) throw new Error(`${where}: expected a map of part -> {combine, arrays?}`);
  const meta: PartsMeta = {};
  for (const [part, entry] of Object.entries(raw)) {
    const at = `${where}.${part}`;
    if (!Object.hasOwn(methodState, part)) throw new Error(`${at}: the state has no part "${part}"`);
    if (!isRecord(entry)) throw new Error(`${at}: expected {combine, arrays?}`);
    const unknown = Object.keys(entry).filter((key) => key !== 'combine' && key !== 'arrays');
    if (unknown.length > 0) throw new Error(`${at}: unknown field(s) ${unknown.join(', ')}`);
    if (!oneOf(PART_COMBINES, entry.combine)) throw new Error(`${at}.combine: expected ${PART_COMBINES.map(show).join(' or ')}, got ${show(entry.combine)}`);
    meta[part] = { combine: entry.combine };
    if (entry.arrays === undefined) continue;
    if (!isRecord(entry.arrays)) throw new Error(`${at}.arrays: expected a map of array name -> kind`);
    const arrays: Record<string, ArrayKind> = {};
    for (const [name, kind] of Object.entries(entry.arrays)) {
      const array = Object.hasOwn(methodState[part], name) ? methodState[part][name] : undefined;
      if (!array) throw new Error(`${at}.arrays.${name}: the part has no array "${name}"`);
      if (!oneOf(ARRAY_KINDS, kind)) throw new Error(`${at}.arrays.${name}: expected ${ARRAY_KINDS.map(show).join(' or ')}, got ${show(kind)}`);
      if (kind === 'unit-rows' && array.shape.length !== 2) throw new Error(`${at}.arrays.${name}: unit rows need a 2-D array, not one of shape [${array.shape}]`);
      arrays[name] = kind;
    }
    meta[part].arrays = arrays;
  }
  return meta;
}
