/**
 * Bug 3 of issue 12: a result blob of 60 MB that decodes to 60 million empty maps took the
 * coordinator to 4.7 GiB. Bytes are now walked (shared/msgpack-scan.ts) before msgpackr
 * builds anything, and refused past a bounded number of items or depth.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { CodecError, decode, DEFAULT_DECODE_LIMITS, encode } from '../../shared/codec.js';
import { scanMsgpack } from '../../shared/msgpack-scan.js';
import { encodeState } from '../../shared/state/model-state.js';

/** An array32 header of `count` items, each an empty map (one byte that becomes one object). */
function emptyMaps(count: number): Uint8Array {
  const bytes = new Uint8Array(5 + count).fill(0x80);
  bytes[0] = 0xdd;
  new DataView(bytes.buffer).setUint32(1, count);
  return bytes;
}

/** `depth` arrays of one element each, around a 0. */
function nested(depth: number): Uint8Array {
  return Uint8Array.from([...Array<number>(depth).fill(0x91), 0x00]);
}

describe('bounded decoding', () => {
  it('refuses a 60 MB blob of empty maps quickly and cheaply, naming the limit', () => {
    const blob = emptyMaps(60_000_000);
    global.gc?.();
    const before = process.memoryUsage();
    const started = performance.now();
    expect(() => decode(blob)).toThrow(CodecError);
    expect(() => decode(blob)).toThrow(/more than 100000 items \(the decode limit maxNodes\)/);
    const after = process.memoryUsage();
    const ms = performance.now() - started;
    // Before the walk, msgpackr decoded this blob in 62 s to 3.7 GiB of heap (4.3 GiB RSS;
    // out of memory under Node's default heap): measured with msgpackr alone, same options.
    // Now the walk reads one header.
    const grewMiB = (after.heapUsed - before.heapUsed) / 2 ** 20;
    const rssGrewMiB = (after.rss - before.rss) / 2 ** 20;
    console.log(`60 MB adversarial blob refused twice in ${ms.toFixed(1)} ms; heap +${grewMiB.toFixed(1)} MiB, rss +${rssGrewMiB.toFixed(1)} MiB`);
    expect(grewMiB).toBeLessThan(32);
    expect(rssGrewMiB).toBeLessThan(64);
  });

  it('refuses a blob that decodes to more items than the limit even when each container is small', () => {
    // 2 MB: unbounded, 2 million objects (over 100 MB of heap); well under the old blob limits.
    const blob = emptyMaps(2_000_000);
    expect(() => decode(blob)).toThrow(/maxNodes/);
    // The same shape within the limit decodes.
    expect((decode(emptyMaps(1000)) as unknown[]).length).toBe(1000);
    // Counted item by item too, not only from a container's declared size.
    const many = encode(Array.from({ length: 400 }, () => Array.from({ length: 300 }, () => ({}))));
    expect(() => decode(many)).toThrow(/more than 100000 items/);
  });

  it('refuses nesting deeper than the limit, before the decoder can exhaust the stack', () => {
    expect(() => decode(nested(DEFAULT_DECODE_LIMITS.maxDepth + 1))).toThrow(/nesting deeper than 32 levels/);
    expect(() => decode(nested(100_000))).toThrow(CodecError);
    expect(decode(nested(DEFAULT_DECODE_LIMITS.maxDepth))).toBeDefined();
  });

  it('counts a typed array as one item however long', () => {
    const state = encodeState({ method: 'm', step: 1, methodState: { online: { w: { shape: [1000, 1000], values: new Float32Array(1_000_000) } } }, optimizer: null });
    expect(decode(state, { limits: { maxNodes: 40, maxDepth: 8 } })).toBeDefined();
    // msgpack's own typed-array extension, as states were encoded before array sections.
    const { nodes, depth } = scanMsgpack(new Packr({ useRecords: false, moreTypes: true }).pack({ w: new Float32Array(1_000_000) }));
    expect(nodes).toBe(3);
    expect(depth).toBe(1);
  });

  it('refuses msgpackr extensions encode never produces (records, references, bundles, big integers)', () => {
    const refused = [
      [0xd4, 0x72, 0x00], // a record definition
      [0xd6, 0x70, 0, 0, 0, 1], // a structured-clone pointer
      [0xd6, 0x69, 0, 0, 0, 1, 0x90], // a structured-clone id
      [0xd6, 0x62, 0, 0, 0, 0], // bundled strings
      [0xd4, 0x65, 0x00, 0x90], // an Error
    ];
    for (const bytes of refused) expect(() => decode(Uint8Array.from(bytes)), bytes.join(',')).toThrow(/extension type 0x[0-9a-f]{2} is not allowed/);
    expect(() => decode(encode(2n ** 70n))).toThrow(/extension type 0x42/);
    // What encode makes of state-like values passes.
    const value = { a: undefined, s: new Set([1, 2]), d: new Date(0), u: new Uint8Array([1]), f: new Float64Array([0.5]), big: 10n };
    expect(decode(encode(value))).toEqual(value);
  });

  it('refuses trailing bytes, truncation and the never-used type byte with the offset', () => {
    expect(() => decode(Uint8Array.from([0x01, 0x02]))).toThrow(/1 trailing byte\(s\) after the value at byte 1 of 2/);
    expect(() => decode(Uint8Array.from([0x92, 0x01]))).toThrow(/truncated|only 1 byte/);
    expect(() => decode(Uint8Array.from([0xc1]))).toThrow(/1 bytes are too few for an array section's 8-byte prefix/);
    expect(() => decode(Uint8Array.from([0x91, 0xc1]))).toThrow(/0xc1 is not valid MessagePack/);
    expect(() => decode(Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
  });

  it('takes limits per call', () => {
    expect(() => decode(encode([1, 2, 3]), { limits: { maxNodes: 3, maxDepth: 4 } })).toThrow(/more than 3 items/);
    expect(decode(encode([1, 2, 3]), { limits: { maxNodes: 4, maxDepth: 4 } })).toEqual([1, 2, 3]);
  });
});
