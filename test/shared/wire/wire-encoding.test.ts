/**
 * Wire encodings of states and replay buffers (issue 13): round trips per encoding, the
 * float16 choices per array, and hostile wire bytes refused with errors naming the blob.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../shared/codec.js';
import { MOCO_PART_META } from '../../../shared/ssl-layout.js';
import { decodeState, encodeState, type ModelState } from '../../../shared/state/model-state.js';
import { toFloat16Bits } from '../../../shared/wire/float16.js';
import { expandState, halveState } from '../../../shared/wire/state-float16.js';
import { decodeWire, decodeWireValue, encodeWire, WIRE_HEADER_BYTES, WireError, type BlobKind } from '../../../shared/wire/wire-encoding.js';
import type { TransferSpec } from '../../../shared/wire/transfer-spec.js';

const SPECS: TransferSpec[] = [
  { encoding: 'float32', compression: 'none' },
  { encoding: 'float16', compression: 'none' },
  { encoding: 'float32', compression: 'deflate' },
  { encoding: 'float16', compression: 'deflate' },
];
const F16_DEFLATE: TransferSpec = { encoding: 'float16', compression: 'deflate' };
const MAX = 64 * 1024 * 1024;

function values(n: number, scale: number, seed = 1): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31 - 0.5) * scale;
  });
}

/** A MoCo-like state with a queue pointer, a regularizer, an optimizer and an array beyond float16's range. */
function sampleState(): ModelState {
  return {
    method: 'moco-v2',
    step: 12,
    methodState: {
      online: { 'conv.w': { shape: [4, 50], values: values(200, 0.5) }, big: { shape: [3], values: Float32Array.of(1, 70000, -2) } },
      queue: { queue: { shape: [8, 4], values: values(32, 1, 7) }, pointer: { shape: [1], values: Float32Array.of(4097) } },
    },
    partMeta: MOCO_PART_META,
    optimizer: { 'conv.w': { shape: [4, 50], values: values(200, 0.01, 3) } },
    regularizer: { importance: { 'conv.w': { shape: [4, 50], values: values(200, 1e-6, 5) } }, anchor: { 'conv.w': { shape: [4, 50], values: values(200, 0.5, 9) } } },
  };
}

/** Every typed array in `value`, however deep. */
function typedArraysIn(value: unknown): ArrayBufferView[] {
  if (ArrayBuffer.isView(value)) return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(typedArraysIn);
}

const decodeAs = (wire: Uint8Array, spec: TransferSpec, kind: BlobKind = 'state', maxBytes = MAX) => decodeWire(wire, spec, { kind, what: 'state blob b1 of task t1', maxBytes });

describe('wire encodings', () => {
  it('float32 without compression is the state bytes unchanged, both ways', () => {
    const bytes = encodeState(sampleState());
    expect(encodeWire(bytes, SPECS[0], 'state')).toBe(bytes);
    expect(decodeAs(bytes, SPECS[0])).toBe(bytes);
  });

  it('float32+deflate round-trips every byte; float16 keeps each value within half a float16 ulp', () => {
    const bytes = encodeState(sampleState());
    for (const spec of SPECS) {
      const wire = encodeWire(bytes, spec, 'state');
      const back = decodeAs(wire, spec);
      if (spec.encoding === 'float32') {
        expect(Buffer.from(back).equals(bytes)).toBe(true);
        continue;
      }
      expect(wire.byteLength).toBeLessThan(bytes.byteLength);
      const got = decodeState(back);
      const want = sampleState();
      const conv = got.methodState.online['conv.w'].values;
      want.methodState.online['conv.w'].values.forEach((v, i) => expect(Math.abs(conv[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
      expect(conv).not.toEqual(want.methodState.online['conv.w'].values); // it did travel as float16
      // Exact: the position, the importances, the array beyond float16's range.
      expect(got.methodState.queue.pointer.values).toEqual(Float32Array.of(4097));
      expect(got.regularizer!.importance['conv.w'].values).toEqual(want.regularizer!.importance['conv.w'].values);
      expect(got.methodState.online.big.values).toEqual(Float32Array.of(1, 70000, -2));
      expect(got.partMeta).toEqual(MOCO_PART_META);
      // Rounding is idempotent: the expanded state encodes to the same wire bytes.
      expect(Buffer.from(encodeWire(back, spec, 'state')).equals(wire)).toBe(true);
    }
  });

  it('gives back the very bytes of a state whose values are halves already, its framing included (no regularizer field)', () => {
    const halves = Float32Array.from([0.5, -1.25, 3, 0.099975586]);
    const bytes = encodeState({ method: 'simclr', step: 3, methodState: { online: { w: { shape: [4], values: halves } } }, optimizer: null });
    for (const spec of SPECS) expect(Buffer.from(decodeAs(encodeWire(bytes, spec, 'state'), spec)).equals(bytes), `${spec.encoding}+${spec.compression}`).toBe(true);
  });

  it('float16: gives the value the expanded bytes decode to, so the receiver need not decode them again', () => {
    const withField = sampleState();
    const { regularizer: _none, ...withoutField } = withField;
    for (const state of [withField, withoutField]) {
      const bytes = encodeState(state);
      for (const spec of SPECS) {
        const wire = encodeWire(bytes, spec, 'state');
        const got = decodeWireValue(wire, spec, { kind: 'state', what: 'b', maxBytes: MAX });
        if (spec.encoding === 'float32') expect(got.decoded).toBeUndefined();
        else {
          expect(got.decoded).toEqual(decode(got.bytes));
          // Read in place, but nothing kept shares the wire's memory (an inbox may write the next blob there).
          expect(got.bytes.buffer).not.toBe(wire.buffer);
          const arrays = typedArraysIn(got.decoded);
          expect(arrays.length).toBeGreaterThan(4);
          for (const a of arrays) expect(a.buffer).not.toBe(wire.buffer);
        }
      }
    }
  });

  it('halves a state held decoded to the same bytes as halving its encoding, with or without a regularizer field', () => {
    const withField = sampleState();
    const { regularizer: _none, ...withoutField } = withField;
    for (const state of [withField, withoutField, { ...withoutField, regularizer: null }]) {
      const bytes = encodeState(state);
      expect(Buffer.from(halveState(bytes, state)).equals(halveState(bytes))).toBe(true);
    }
  });

  it('halves into and expands into memory it is given: the same bytes as each array halved on its own and the whole encoded', () => {
    const state = sampleState();
    const bytes = encodeState(state);
    const halved = (a: { shape: number[]; values: Float32Array }) => ({ shape: a.shape, values: toFloat16Bits(a.values) });
    const { online, queue } = state.methodState;
    // The composition the halving replaced; kept as they are: the position, the importances, the array beyond float16's range.
    const reference = encodeState({
      ...state,
      methodState: { online: { 'conv.w': halved(online['conv.w']), big: online.big }, queue: { queue: halved(queue.queue), pointer: queue.pointer } },
      optimizer: { 'conv.w': halved(state.optimizer!['conv.w']) },
      regularizer: { importance: state.regularizer!.importance, anchor: { 'conv.w': halved(state.regularizer!.anchor['conv.w']) } },
    } as unknown as ModelState);
    const into = new Uint8Array(reference.byteLength + 100).fill(0xee);
    const payload = halveState(bytes, undefined, into);
    expect(payload.buffer).toBe(into.buffer);
    expect(Buffer.from(payload).equals(reference)).toBe(true);
    expect(Buffer.from(halveState(bytes)).equals(reference)).toBe(true);
    expect(Buffer.from(halveState(bytes, undefined, new Uint8Array(16))).equals(reference)).toBe(true); // too small: not used
    const target = new Uint8Array(bytes.byteLength).fill(0xee);
    const expanded = expandState(payload, target);
    expect(expanded.bytes.buffer).toBe(target.buffer);
    expect(Buffer.from(expanded.bytes).equals(expandState(payload).bytes)).toBe(true);
    expect(expanded.decoded).toEqual(decode(expanded.bytes));
    // Memory that holds what is read is never written: the source's own bytes, or the
    // payload's (a state whose every array halves, so no kept array shows the encoding that memory).
    const allHalve = encodeState({ method: 'simclr', step: 1, methodState: { online: { w: { shape: [400], values: values(400, 0.5) } } }, optimizer: null });
    const halvedAll = halveState(allHalve);
    const source = Uint8Array.from(allHalve);
    expect(Buffer.from(halveState(source, undefined, source)).equals(halvedAll)).toBe(true);
    const wireAndRoom = new Uint8Array(3 * halvedAll.byteLength);
    wireAndRoom.set(halvedAll);
    expect(Buffer.from(expandState(wireAndRoom.subarray(0, halvedAll.byteLength), wireAndRoom).bytes).equals(expandState(halvedAll).bytes)).toBe(true);
  });

  it('applies only compression to replay buffers', () => {
    const replay = encode({ count: 2, images: new Uint8Array(3000).fill(7) });
    const wire = encodeWire(replay, F16_DEFLATE, 'replay');
    expect(wire.byteLength).toBeLessThan(200);
    expect(Buffer.from(decodeAs(wire, F16_DEFLATE, 'replay')).equals(replay)).toBe(true);
    expect(encodeWire(replay, { encoding: 'float16', compression: 'none' }, 'replay')).toBe(replay);
  });

  describe('refuses hostile wire bytes with an error naming the blob', () => {
    const bytes = encodeState(sampleState());
    const good = () => Uint8Array.from(encodeWire(bytes, F16_DEFLATE, 'state'));
    const refusal = (wire: Uint8Array, spec = F16_DEFLATE, maxBytes = MAX) => {
      try {
        decodeAs(wire, spec, 'state', maxBytes);
      } catch (err) {
        expect(err).toBeInstanceOf(WireError);
        expect((err as Error).message).toMatch(/^state blob b1 of task t1: /);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const withHeader = (edit: (w: Uint8Array) => void) => {
      const w = good();
      edit(w);
      return w;
    };

    it('no header, a truncated header, an unknown version, encoding or compression', () => {
      expect(refusal(bytes)).toMatch(/has no wire header: expected float16\+deflate bytes/);
      expect(refusal(good().subarray(0, 7))).toMatch(/truncated wire header \(7 of 12 bytes\)/);
      expect(refusal(withHeader((w) => (w[4] = 9)))).toMatch(/wire format version 9 is not supported/);
      expect(refusal(withHeader((w) => (w[5] = 7)))).toMatch(/unknown encoding 7 in the wire header/);
      expect(refusal(withHeader((w) => (w[6] = 3)))).toMatch(/unknown compression 3/);
      expect(refusal(withHeader((w) => (w[7] = 1)))).toMatch(/malformed wire header/);
    });

    it('an encoding other than the run asks for, either way', () => {
      expect(refusal(encodeWire(bytes, { encoding: 'float32', compression: 'deflate' }, 'state'))).toMatch(/is encoded float32\+deflate, the run sends it as float16\+deflate/);
      expect(refusal(good(), SPECS[0])).toMatch(/is wire-encoded, but the run sends it as plain float32/);
    });

    it('a deflate bomb: a small blob declaring or inflating to far more than allowed', () => {
      const bomb = deflateSync(new Uint8Array(256 * 1024 * 1024));
      expect(bomb.byteLength).toBeLessThan(300_000);
      const header = good().subarray(0, WIRE_HEADER_BYTES);
      const declaring = (n: number) => {
        const w = new Uint8Array(WIRE_HEADER_BYTES + bomb.byteLength);
        w.set(header);
        new DataView(w.buffer).setUint32(8, n, true);
        w.set(bomb, WIRE_HEADER_BYTES);
        return w;
      };
      expect(refusal(declaring(256 * 1024 * 1024))).toMatch(/declares 268435456 payload bytes, more than the 67108864 it may hold/);
      expect(refusal(declaring(1000))).toMatch(/inflates beyond its declared 1000 payload bytes/);
    });

    it('a size lie, corrupt deflate data, a float16 payload that is no state', () => {
      expect(refusal(withHeader((w) => new DataView(w.buffer).setUint32(8, bytes.byteLength, true)))).toMatch(/declares \d+ payload bytes, but inflates to \d+/);
      expect(refusal(withHeader((w) => w.fill(0x55, WIRE_HEADER_BYTES, WIRE_HEADER_BYTES + 20)))).toMatch(/does not inflate \(corrupt deflate data\)/);
      const garbage = encodeWire(encode({ format: 'streamssl-state', version: 2 }), { encoding: 'float32', compression: 'deflate' }, 'state');
      garbage[5] = 1; // claim float16
      expect(refusal(garbage)).toMatch(/float16 payload cannot be read: model state: missing method/);
      const uncompressed = encodeWire(bytes, { encoding: 'float16', compression: 'none' }, 'state');
      expect(refusal(uncompressed.subarray(0, uncompressed.byteLength - 5), { encoding: 'float16', compression: 'none' })).toMatch(/declares \d+ payload bytes, but carries \d+/);
    });
  });
});
