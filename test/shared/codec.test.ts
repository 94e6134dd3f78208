import { describe, expect, it } from 'vitest';
import { CodecError, decode, encode } from '../../shared/codec.js';

describe('codec', () => {
  it('round-trips plain values, typed arrays and Set', () => {
    const value = {
      name: 'stage-0',
      step: 12,
      loss: 1.25,
      nested: { list: [1, 'two', null, true] },
      weights: new Float32Array([1.5, -2, 3.25]),
      counts: new Int32Array([1, -1, 7]),
      bytes: new Uint8Array([0, 255, 7]),
      set: new Set([3, 4]),
    };
    const back = decode(encode(value)) as typeof value;
    expect(back.weights).toBeInstanceOf(Float32Array);
    expect(back.counts).toBeInstanceOf(Int32Array);
    expect(back.set).toBeInstanceOf(Set);
    expect(Array.from(back.bytes)).toEqual([0, 255, 7]);
    expect({ ...back, bytes: undefined }).toEqual({ ...value, bytes: undefined });
  });

  it('does not write later values into the memory of a large one it returned, nor keep that memory for them', () => {
    const large = encode({ weights: new Float32Array(600_000).fill(1.5), name: 'state' });
    const copy = Buffer.from(large);
    const small = [encode({ step: 1, name: 'x' }), encode({ step: 2, list: [1, 2, 3] })];
    expect(Buffer.from(large).equals(copy)).toBe(true);
    for (const bytes of small) expect(bytes.buffer).not.toBe(large.buffer);
    expect(decode(small[1])).toEqual({ step: 2, list: [1, 2, 3] });
    expect((decode(large) as { weights: Float32Array }).weights[599_999]).toBe(1.5);
  });

  it('round-trips a 45 MB state map of Float32Arrays', () => {
    const state: Record<string, Float32Array> = {};
    const perTensor = 1_125_000; // 10 tensors x 4.5 MB = 45 MB
    for (let t = 0; t < 10; t++) {
      const w = new Float32Array(perTensor);
      for (let i = 0; i < perTensor; i += 997) w[i] = Math.sin(t * perTensor + i);
      state[`layer${t}/kernel`] = w;
    }
    const bytes = encode(state);
    expect(bytes.byteLength).toBeGreaterThan(45_000_000);
    const back = decode(bytes) as Record<string, Float32Array>;
    expect(Object.keys(back)).toEqual(Object.keys(state));
    for (const [key, w] of Object.entries(state)) {
      expect(back[key]).toBeInstanceOf(Float32Array);
      expect(back[key].length).toBe(w.length);
      expect(Buffer.from(back[key].buffer, back[key].byteOffset, back[key].byteLength).equals(Buffer.from(w.buffer))).toBe(true);
    }
  });

  it('is deterministic: the same value gives the same bytes', () => {
    const a = encode({ x: 1, y: [new Float32Array([1, 2])] });
    encode({ other: 'shape', z: 2 });
    expect(Buffer.from(encode({ x: 1, y: [new Float32Array([1, 2])] })).equals(Buffer.from(a))).toBe(true);
  });

  it('rejects truncated, trailing-garbage and empty input with a CodecError', () => {
    const bytes = encode({ weights: new Float32Array(1000), note: 'hello' });
    expect(() => decode(bytes.subarray(0, bytes.byteLength - 10))).toThrow(CodecError);
    expect(() => decode(bytes.subarray(0, bytes.byteLength - 10))).toThrow(/corrupt or truncated/);
    const trailing = new Uint8Array(bytes.byteLength + 3);
    trailing.set(bytes);
    expect(() => decode(trailing)).toThrow(CodecError);
    expect(() => decode(new Uint8Array(0))).toThrow(/empty/);
    expect(() => decode('not bytes' as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
});
