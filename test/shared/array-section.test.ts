/**
 * Values holding typed arrays encode as a msgpack header plus the arrays' aligned bytes
 * (shared/array-section.ts): arrays decode in place on request, bytes of the plain msgpack
 * that states were before still decode, and references a peer forged are refused by name.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { CodecError, decode, encode } from '../../shared/codec.js';

/** Rewrites the `index`-th array reference's payload fields of section bytes (a forged section). */
function forgeRef(bytes: Uint8Array, index: number, edit: (view: DataView) => void): Uint8Array {
  const out = bytes.slice();
  let seen = 0;
  // fixext16 (0xd8) of type 0x41, then 16 payload bytes.
  for (let i = 8; i + 18 <= out.byteLength; i++) {
    if (out[i] === 0xd8 && out[i + 1] === 0x41 && seen++ === index) {
      edit(new DataView(out.buffer, i + 2, 16));
      return out;
    }
  }
  throw new Error(`no reference ${index}`);
}

const value = () => ({
  tag: 'x',
  bytes: new Uint8Array([1, 2, 3]),
  weights: new Float32Array([1.5, -2, 3.25]),
  halves: new Uint16Array([7, 8, 9]),
  wide: new Float64Array([0.125]),
  list: [new Int32Array([-1, 5]), 'y'],
});

describe('array sections', () => {
  it('round-trips every element type, each array aligned to its element size', () => {
    const bytes = encode(value());
    expect(bytes[0]).toBe(0xc1);
    expect(decode(bytes)).toEqual(value());
    const inPlace = decode(bytes, { inPlace: true }) as ReturnType<typeof value>;
    expect(inPlace).toEqual(value());
    for (const array of [inPlace.weights, inPlace.halves, inPlace.wide, inPlace.list[0] as Int32Array]) {
      expect(array.buffer).toBe(bytes.buffer);
      expect(array.byteOffset % array.BYTES_PER_ELEMENT).toBe(0);
    }
  });

  it('copies the arrays unless asked to read them in place', () => {
    const bytes = encode({ w: new Float32Array([1, 2]) });
    const copied = decode(bytes) as { w: Float32Array };
    expect(copied.w.buffer).not.toBe(bytes.buffer);
    bytes.fill(0, bytes.byteLength - 8);
    expect(Array.from(copied.w)).toEqual([1, 2]);
  });

  it('copies an array whose bytes are not aligned where they lie', () => {
    const bytes = encode({ w: new Float32Array([1, 2]) });
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const back = decode(shifted, { inPlace: true }) as { w: Float32Array };
    expect(Array.from(back.w)).toEqual([1, 2]);
    expect(back.w.buffer).not.toBe(shifted.buffer);
  });

  it('sizes a state as its framing plus its arrays', () => {
    const empty = encode({ a: new Float32Array(0), b: new Float32Array(0) });
    const full = encode({ a: new Float32Array(1000), b: new Float32Array(3) });
    expect(full.byteLength - empty.byteLength).toBe(4 * 1003);
  });

  it('still decodes plain msgpack typed arrays, as states were encoded before', () => {
    const old = new Packr({ useRecords: false, moreTypes: true }).pack({ w: new Float32Array([1, 2]), s: 'z' });
    expect(decode(old)).toEqual({ w: new Float32Array([1, 2]), s: 'z' });
  });

  it('refuses forged references and layouts, naming what is wrong', () => {
    const bytes = encode({ a: new Float32Array([1, 2]), b: new Float32Array([3]) });
    const refused = (b: Uint8Array, why: RegExp) => {
      expect(() => decode(b)).toThrow(CodecError);
      expect(() => decode(b)).toThrow(why);
    };
    refused(forgeRef(bytes, 0, (v) => v.setUint8(0, 42)), /element type 42, which is not one/);
    refused(forgeRef(bytes, 1, (v) => v.setFloat64(8, 0)), /at offset 0 does not fit .* 8 of them taken by earlier arrays/);
    refused(forgeRef(bytes, 1, (v) => v.setUint32(4, 1e9, true)), /1000000000 bytes at offset 8 does not fit the data section \(12 bytes/);
    refused(forgeRef(bytes, 0, (v) => v.setUint32(4, 6, true)), /4-byte elements/);
    refused(forgeRef(bytes, 1, (v) => v.setFloat64(8, 8.5, true)), /offset 8.5 does not fit/);
    const trailing = new Uint8Array(bytes.byteLength + 4);
    trailing.set(bytes);
    refused(trailing, /4 bytes after its last array/);
    const longHeader = bytes.slice();
    new DataView(longHeader.buffer).setUint32(4, 1e6, true);
    refused(longHeader, /header declares 1000000 bytes, beyond the \d+ there are/);
    const version = bytes.slice();
    version[1] = 9;
    refused(version, /version 9 is not supported/);
    // A reference in plain msgpack has no section to read from.
    refused(Uint8Array.from([0x81, 0xa1, 0x61, 0xd8, 0x41, ...new Uint8Array(16)]), /array reference outside an array section/);
  });
});

describe('encoding into memory that held another value', () => {
  it('gives the bytes fresh memory gives, padding included', () => {
    const fresh = encode(value());
    const used = new Uint8Array(fresh.byteLength + 16).fill(0xab);
    const reused = encode(value(), { into: used });
    expect(reused.buffer).toBe(used.buffer);
    expect(Buffer.from(reused).equals(Buffer.from(fresh))).toBe(true);
    expect(decode(reused)).toEqual(decode(fresh));
  });

  it('takes fresh memory when the value does not fit, would fill less than half, or reads from it', () => {
    const size = encode(value()).byteLength;
    expect(encode(value(), { into: new Uint8Array(size - 1) }).byteLength).toBe(size);
    expect(encode(value(), { into: new Uint8Array(size - 1) }).buffer.byteLength).toBe(size);
    expect(encode(value(), { into: new Uint8Array(size * 3) }).buffer.byteLength).toBe(size);
    // A value whose arrays are views on the memory (a state decoded in place) is never written over itself.
    const held = encode(value());
    const inPlace = decode(held, { inPlace: true });
    const again = encode(inPlace, { into: held });
    expect(again.buffer).not.toBe(held.buffer);
    expect(decode(again)).toEqual(decode(encode(value())));
  });
});

