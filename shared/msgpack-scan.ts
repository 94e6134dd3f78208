/**
 * Walks MessagePack bytes without materializing them, to bound what decoding them will
 * cost before msgpackr builds anything. A 60 MB blob of empty maps decodes to 60 million
 * objects (several GiB of heap): counting the items first refuses it for the price of
 * reading a few headers.
 *
 * The walk reads only type bytes and lengths: string, binary and extension payloads are
 * skipped by their length, so a typed array (msgpackr's extension 0x74) is one item however
 * long. It accepts exactly one value spanning the bytes, and of msgpackr's extensions only
 * those `encode` produces for state-like values (undefined, Set, typed arrays, Date):
 * record definitions, structured-clone references (a shared subtree walked many times by
 * whoever reads the value), bundled strings, errors, regexps and big integers are refused.
 */
import { ARRAY_REF_EXTENSION } from './array-section.js';

/** Bounds on a decoded value's size and shape. */
export interface DecodeLimits {
  /** Items (map keys, values, array elements, scalars; a typed array is one). */
  maxNodes: number;
  /** Containers inside containers. */
  maxDepth: number;
}

/** A model state has a few thousand items and nests about six deep; these leave ample room. */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxNodes: 100_000, maxDepth: 32 };

/** msgpackr extension types `encode` produces: undefined, typed array, Date, and an array section's references (./array-section.ts). */
const LEAF_EXTENSIONS = new Set([0x00, 0x74, 0xff, ARRAY_REF_EXTENSION]);
/** Set: its extension header is followed by the array of its members. */
const SET_EXTENSION = 0x73;

/** Bytes refused by `scanMsgpack`: `limit` when they are well-formed but too big or too deep. */
export class ScanError extends Error {
  constructor(
    message: string,
    readonly limit: boolean,
  ) {
    super(message);
    this.name = 'ScanError';
  }
}

/** What a scan found: the items counted and the deepest nesting. */
export interface ScanResult {
  nodes: number;
  depth: number;
}

/**
 * Checks that `bytes` hold one MessagePack value within `limits`; returns its size or
 * throws a `ScanError` naming the limit (or the malformation) and the byte offset.
 */
export function scanMsgpack(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): ScanResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  let pos = 0;
  let nodes = 0;
  let deepest = 0;
  // Items still to read in each open container, innermost last; the root is one item.
  const open: number[] = [1];

  const fail = (what: string, limit = false): never => {
    throw new ScanError(`${what} at byte ${pos} of ${end}`, limit);
  };
  const need = (n: number): void => {
    if (pos + n > end) fail(`truncated: ${n} more byte(s) needed`);
  };
  const uint = (size: 1 | 2 | 4): number => {
    need(size);
    const v = size === 1 ? view.getUint8(pos) : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
    pos += size;
    return v;
  };
  const skip = (n: number): void => {
    need(n);
    pos += n;
  };
  /** Opens a container of `items` children, refusing it at once when they cannot fit the limits or the bytes. */
  const container = (items: number): void => {
    if (nodes + items > limits.maxNodes) fail(`more than ${limits.maxNodes} items (the decode limit maxNodes): a container declares ${items}`, true);
    // Every item takes at least one byte.
    if (items > end - pos) fail(`a container declares ${items} items but only ${end - pos} byte(s) remain`);
    if (items === 0) return;
    open.push(items);
    if (open.length - 1 > limits.maxDepth) fail(`nesting deeper than ${limits.maxDepth} levels (the decode limit maxDepth)`, true);
    deepest = Math.max(deepest, open.length - 1);
  };
  const extension = (length: number): void => {
    need(1);
    const type = view.getUint8(pos++);
    skip(length);
    if (type === SET_EXTENSION) container(1);
    else if (!LEAF_EXTENSIONS.has(type)) fail(`extension type 0x${type.toString(16).padStart(2, '0')} is not allowed`);
  };

  while (open.length > 0) {
    if (open[open.length - 1] === 0) {
      open.pop();
      continue;
    }
    open[open.length - 1]--;
    if (++nodes > limits.maxNodes) fail(`more than ${limits.maxNodes} items (the decode limit maxNodes)`, true);
    need(1);
    const t = view.getUint8(pos++);
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue; // fixints, nil, booleans
    if (t <= 0x8f) container(2 * (t - 0x80));
    else if (t <= 0x9f) container(t - 0x90);
    else if (t <= 0xbf) skip(t - 0xa0);
    else if (t >= 0xc4 && t <= 0xc6) skip(uint(([1, 2, 4] as const)[t - 0xc4]));
    else if (t >= 0xc7 && t <= 0xc9) extension(uint(([1, 2, 4] as const)[t - 0xc7]));
    else if (t === 0xca || t === 0xcb) skip(t === 0xca ? 4 : 8);
    else if (t >= 0xcc && t <= 0xd3) skip(2 ** ((t - 0xcc) % 4));
    else if (t >= 0xd4 && t <= 0xd8) extension(2 ** (t - 0xd4));
    else if (t >= 0xd9 && t <= 0xdb) skip(uint(([1, 2, 4] as const)[t - 0xd9]));
    else if (t === 0xdc || t === 0xdd) container(uint(t === 0xdc ? 2 : 4));
    else if (t === 0xde || t === 0xdf) container(2 * uint(t === 0xde ? 2 : 4));
    else fail(`type byte 0x${t.toString(16)} is not valid MessagePack`); // 0xc1
  }
  if (pos !== end) fail(`${end - pos} trailing byte(s) after the value`);
  return { nodes, depth: deepest };
}
