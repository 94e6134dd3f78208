/**
 * Named arrays, the stuff every part of a model state is made of: a model's parameters,
 * an optimizer's momentum buffers and a regularizer's importances all travel as maps of
 * name -> shape and Float32 values, so code without the model (the coordinator) can
 * check, average and compare them.
 */

/** One array: its shape and its values, row-major. */
export interface NamedArray {
  shape: number[];
  values: Float32Array;
}

/** Arrays by name: the transferable copy of a model's parameters, or of any part of a state. */
export type ParamArrays = Record<string, NamedArray>;

/** A method's transferable state: named arrays per part (`online`, `key`, `queue`, ...). */
export type MethodState = Record<string, ParamArrays>;

/** A plain object (not an array, not null), as decoded values are checked. */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks that `x` is a map of named arrays whose shapes hold their values; errors start with `where`. */
export function checkArrays(x: unknown, where: string): ParamArrays {
  if (!isRecord(x)) throw new Error(`${where}: expected a map of named arrays`);
  for (const [name, entry] of Object.entries(x)) {
    if (!isRecord(entry) || !Array.isArray(entry.shape) || !(entry.values instanceof Float32Array)) {
      throw new Error(`${where}.${name}: expected {shape, values: Float32Array}`);
    }
    const size = (entry.shape as number[]).reduce((a, b) => a * b, 1);
    if (size !== entry.values.length) throw new Error(`${where}.${name}: shape [${entry.shape}] does not hold ${entry.values.length} values`);
  }
  return x as ParamArrays;
}

/** Checks every part of a map of parts (a method's or a regularizer's state). */
export function checkParts(x: unknown, where: string): Record<string, ParamArrays> {
  if (!isRecord(x)) throw new Error(`${where}: expected a map of parts, each a map of named arrays`);
  const parts: Record<string, ParamArrays> = {};
  for (const [part, arrays] of Object.entries(x)) parts[part] = checkArrays(arrays, `${where}.${part}`);
  return parts;
}
