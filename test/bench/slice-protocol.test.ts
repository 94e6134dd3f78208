/** The slice protocol's checks (bench/slice-protocol.ts): a peer's bad line is refused with what is wrong and whose it is. */
import { describe, expect, it } from 'vitest';
import { MAX_SLICE_STEPS, readReady, readRequest, readSlice, requestLine } from '../../bench/slice-protocol.js';

describe('readReady', () => {
  it('takes a ready line and refuses one without its figures', () => {
    expect(readReady({ threadsActual: 2, warmStepMs: 12.5, extra: 'x' }, 'p')).toEqual({ threadsActual: 2, warmStepMs: 12.5 });
    expect(readReady({ threadsActual: 1, warmStepMs: 3, backend: 'wasm: ...' }, 'p')).toEqual({ threadsActual: 1, warmStepMs: 3, backend: 'wasm: ...' });
    expect(readReady({ threadsActual: 1, warmStepMs: 3, backend: 'x'.repeat(5000) }, 'p').backend).toHaveLength(1000);
    expect(() => readReady({ threadsActual: 1, warmStepMs: 3, backend: 7 }, 'p')).toThrow(/^p: the ready line's backend is not a string \(got 7\)/);
    expect(() => readReady({ threadsActual: 1 }, 'PyTorch small')).toThrow(/^PyTorch small: the ready line has no usable warmStepMs \(got undefined\)/);
    expect(() => readReady({ threadsActual: 1, warmStepMs: -1 }, 'p')).toThrow(/warmStepMs \(got -1\)/);
    expect(() => readReady('ready', 'p')).toThrow(/the ready line is not an object/);
    expect(() => readReady(null, 'p')).toThrow(/not an object/);
  });
});

describe('readSlice', () => {
  const good = { steps: 3, fromMs: 10, toMs: 40, imgPerSec: 100 };
  it('takes the answer to the request and refuses any other', () => {
    expect(readSlice(good, 3, 'p')).toEqual(good);
    expect(() => readSlice(good, 4, 'small on 2 thread(s)')).toThrow(/^small on 2 thread\(s\): asked for 4 steps, the slice line reports 3/);
    expect(() => readSlice({ ...good, toMs: 5 }, 3, 'p')).toThrow(/no time or pace/);
    expect(() => readSlice({ ...good, imgPerSec: 0 }, 3, 'p')).toThrow(/no time or pace/);
    expect(() => readSlice({ ...good, imgPerSec: Infinity }, 3, 'p')).toThrow(/no usable imgPerSec/);
    expect(() => readSlice({ ...good, fromMs: '10' }, 3, 'p')).toThrow(/no usable fromMs \(got "10"\)/);
  });
});

describe('readRequest', () => {
  it('reads the step count of a request line and refuses anything else', () => {
    expect(readRequest(requestLine(7))).toBe(7);
    expect(readRequest(requestLine(MAX_SLICE_STEPS))).toBe(MAX_SLICE_STEPS);
    for (const bad of ['{"steps":0}', '{"steps":1.5}', '{"steps":"3"}', '{}', 'null', `{"steps":${MAX_SLICE_STEPS + 1}}`]) {
      expect(() => readRequest(bad), bad).toThrow(/steps must be an integer in 1\.\.100000/);
    }
    expect(() => readRequest('{steps')).toThrow(/^not JSON/);
  });
});
