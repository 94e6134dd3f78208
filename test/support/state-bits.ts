/** Test helper: a method's whole state as raw bits, to check "bit-identical" exactly. */
import type { SslMethod } from '../../client/ssl/method.js';

/** Every value's bits, part by part, so -0 and 0 (or two NaNs) are told apart. */
export async function methodBits(method: SslMethod): Promise<Record<string, Record<string, Uint32Array>>> {
  const view = (v: Float32Array) => new Uint32Array(v.buffer, v.byteOffset, v.length);
  const state = await method.exportState();
  return Object.fromEntries(Object.entries(state).map(([part, arrays]) => [part, Object.fromEntries(Object.entries(arrays).map(([n, a]) => [n, view(a.values)]))]));
}
