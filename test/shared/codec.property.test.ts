/**
 * Property tests of the codec (issue 12): any value of the shapes states use round-trips,
 * and random or mutated bytes either decode within the limits or fail with a `CodecError`,
 * never with anything else. Seeded, so a failure reproduces.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, decode, DEFAULT_DECODE_LIMITS, encode } from '../../shared/codec.js';

const SEED = 0x5eed12;

/** Keys msgpackr keeps as they are (it renames `__proto__`, which no state uses). */
const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');
/** Finite numbers, with -0 as 0 (msgpack has no negative zero integer). */
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)));
const leaf = fc.oneof(
  number,
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.float32Array({ maxLength: 50 }),
  fc.float64Array({ maxLength: 20 }),
  fc.int32Array({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 50 }),
);
/** Nested records and arrays of leaves: what model states, replay buffers and their parts are made of. */
const stateLike = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('record')),
  array: fc.array(tie('node'), { maxLength: 5 }),
  record: fc.dictionary(key, tie('node'), { maxKeys: 6 }),
})).record;

/** Items a decoded value holds, counted as the scanner counts them (map keys included). */
function items(value: unknown): number {
  if (Array.isArray(value)) return 1 + value.reduce((n: number, v) => n + items(v), 0);
  if (value instanceof Set) return 2 + [...value].reduce((n: number, v) => n + items(v), 0);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof Date) && !(value instanceof ArrayBuffer)) {
    return 1 + Object.values(value).reduce((n: number, v) => n + 1 + items(v), 0);
  }
  return 1;
}

/** Decodes, expecting a value within the limits or a `CodecError`; anything else fails the property. */
function decodeOrRefuse(bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    expect((err as Error).message).toMatch(/^cannot decode \d+ bytes/);
    return;
  }
  expect(items(value)).toBeLessThanOrEqual(DEFAULT_DECODE_LIMITS.maxNodes);
}

describe('codec properties', () => {
  it('round-trips any state-like value', () => {
    fc.assert(
      fc.property(stateLike, (value) => {
        expect(decode(encode(value))).toEqual(value);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('decodes random bytes to a bounded value or refuses them with a CodecError', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), decodeOrRefuse), { seed: SEED, numRuns: 2000 });
  });

  it('decodes mutated encodings to a bounded value or refuses them with a CodecError', () => {
    const mutated = fc
      .tuple(stateLike, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()))
      .map(([value, edits, cut]) => {
        const bytes = encode(value);
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        return cut === null ? bytes : bytes.subarray(0, Math.max(1, cut % bytes.length));
      });
    fc.assert(fc.property(mutated, decodeOrRefuse), { seed: SEED, numRuns: 1000 });
  });

  it('refuses headers that declare huge containers, strings and binaries without allocating them', () => {
    const header = fc.constantFrom(0xdd, 0xdf, 0xdb, 0xc6, 0xc9).chain((type) =>
      fc.tuple(fc.constant(type), fc.integer({ min: 2 ** 20, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 16 })),
    );
    fc.assert(
      fc.property(header, ([type, length, rest]) => {
        const bytes = new Uint8Array(5 + rest.length);
        bytes[0] = type;
        new DataView(bytes.buffer).setUint32(1, length);
        bytes.set(rest, 5);
        expect(() => decode(bytes)).toThrow(CodecError);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
