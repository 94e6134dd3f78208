/**
 * Convolutions whose batch is split over the threads (native/conv.cc `RunSplit`,
 * client/kernels/native/batch-split.ts): the same forward and data gradient, bit for
 * bit, as one thread on the whole batch; the weight gradient as the slices' own
 * one-thread gradients added in slice order; cpu's results within float error.
 * Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_SPLIT_FLAG, batchSplitFlag, MAX_SPLIT_WEIGHT_BYTES, useBatchSplit } from '../../../client/kernels/native/batch-split.js';
import { setLayoutOverride } from '../../../client/kernels/native/layout.js';
import { useWinogradConvolutions } from '../../../client/kernels/native/conv-algorithm.js';
import { ConvKind, loadOneDnn, PARAM_COUNT } from '../../../client/kernels/native/onednn.js';
import { registerNativeConvKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { relErr } from '../../support/compare.js';
import { convGrads, convRandom, outSize, randomConvCases, type ConvCase } from '../../support/conv-cases.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';
const random = convRandom(97);

/** Runs a case's forward and both gradients with `threads` threads, split or not. */
async function run(c: ConvCase, threads: number, split: boolean, inputs: readonly [Float32Array, Float32Array, Float32Array]) {
  expect(registerNativeConvKernels({ threads })).toMatchObject({ ok: true });
  useBatchSplit(split ? 'always' : 'never');
  return convGrads('wasm', c, ...inputs);
}

function inputsOf(c: ConvCase): [Float32Array, Float32Array, Float32Array] {
  const [ho, wo] = outSize(c);
  return [random.randArray(c.n * c.h * c.w * c.ci), random.randArray(c.kh * c.kw * c.ci * c.co), random.randArray(c.n * ho * wo * c.co)];
}

/** The batch rows [from, to) of an NHWC array of `n` rows. */
const rows = (a: Float32Array, n: number, from: number, to: number) => a.subarray((a.length / n) * from, (a.length / n) * to);

const cases: ConvCase[] = [
  { n: 8, h: 14, w: 14, ci: 16, co: 32, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // the quickstart's shapes
  { n: 6, h: 7, w: 7, ci: 64, co: 64, kh: 3, kw: 3, strides: [1, 1], pad: 'same' }, // winograd-eligible
  { n: 5, h: 9, w: 7, ci: 3, co: 5, kh: 3, kw: 3, strides: [1, 1], pad: 'valid' }, // odd batch: slices of 2 and 3
  { n: 4, h: 8, w: 8, ci: 16, co: 32, kh: 1, kw: 1, strides: [2, 2], pad: 'same' }, // 1x1 downsample
  { n: 3, h: 16, w: 16, ci: 3, co: 16, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // stem
];

describe('which convolutions ask for the batch split', () => {
  const p = (ci: number, co: number, k = 3) => new Int32Array([64, 8, 8, ci, co, k, k, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  afterAll(() => useBatchSplit('where-faster'));

  it('those with at most 1 MiB of weights, unless told never or always', () => {
    expect(MAX_SPLIT_WEIGHT_BYTES).toBe(1 << 20);
    expect(batchSplitFlag(p(128, 128))).toBe(BATCH_SPLIT_FLAG); // 576 KiB
    expect(batchSplitFlag(p(256, 256, 1))).toBe(BATCH_SPLIT_FLAG); // 256 KiB
    expect(batchSplitFlag(p(128, 227))).toBe(BATCH_SPLIT_FLAG); // 1,021 KiB
    expect(batchSplitFlag(p(128, 228))).toBe(0); // 1,026 KiB
    expect(batchSplitFlag(p(256, 256))).toBe(0); // 2.25 MiB: oneDNN's own split was faster
    useBatchSplit('never');
    expect(batchSplitFlag(p(16, 16))).toBe(0);
    useBatchSplit('always');
    expect(batchSplitFlag(p(512, 512))).toBe(BATCH_SPLIT_FLAG);
  });
});

describe.skipIf(skipReason !== '')(`batch split over threads${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const addon = loaded.addon!;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.setBackend('wasm');
    registerWasmConvGradients();
  });

  afterAll(() => {
    useBatchSplit('where-faster');
    setLayoutOverride(undefined);
    useWinogradConvolutions('never');
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
  });

  for (const layout of ['any', 'plain'] as const) {
    for (const winograd of ['never', 'wherever-possible'] as const) {
      it(`splits with the same forward and data gradient as one thread, and the slices' weight gradients summed (${layout} layout, winograd ${winograd})`, async () => {
        setLayoutOverride(layout);
        useWinogradConvolutions(winograd);
        for (const c of cases) {
          const inputs = inputsOf(c);
          const one = await run(c, 1, true, inputs);
          const split = await run(c, 2, true, inputs);
          const label = JSON.stringify(c);
          expect(split.y, `forward ${label}`).toEqual(one.y);
          expect(split.dx, `dx ${label}`).toEqual(one.dx);
          // Slice 0 is rows [0, n/2), slice 1 the rest; each slice's gradient on one thread.
          const half = Math.floor(c.n / 2);
          const [x, w, dy] = inputs;
          const first = await run({ ...c, n: half }, 1, true, [rows(x, c.n, 0, half), w, rows(dy, c.n, 0, half)]);
          const second = await run({ ...c, n: c.n - half }, 1, true, [rows(x, c.n, half, c.n), w, rows(dy, c.n, half, c.n)]);
          expect(split.dw, `dW ${label}`).toEqual(first.dw!.map((v, i) => Math.fround(v + second.dw![i])));
          const ref = await convGrads('cpu', c, ...inputs);
          expect(relErr(split.dw!, ref.dw!), `dW against cpu ${label}`).toBeLessThan(1e-4);
        }
      });
    }
  }

  it('agrees with cpu on 30 random shapes on two threads, batch 1 included', async () => {
    setLayoutOverride(undefined);
    useWinogradConvolutions('never');
    expect(registerNativeConvKernels({ threads: 2 })).toMatchObject({ ok: true });
    useBatchSplit('always');
    const random30 = randomConvCases(30, { kernels: () => [1, 3], sizes: [3, 5, 8, 9, 16], maxBatch: 6, maxChannels: 24 }, random);
    for (const c of [...random30, { ...random30[0], n: 1 }]) {
      const inputs = inputsOf(c);
      const got = await convGrads('wasm', c, ...inputs);
      const ref = await convGrads('cpu', c, ...inputs);
      const label = JSON.stringify(c);
      expect(relErr(got.y, ref.y), `forward ${label}`).toBeLessThan(1e-4);
      if (ref.dx) expect(relErr(got.dx!, ref.dx), `dx ${label}`).toBeLessThan(1e-4);
      if (ref.dw) expect(relErr(got.dw!, ref.dw), `dW ${label}`).toBeLessThan(1e-4);
    }
  });

  it('names the split, and leaves one thread, a batch of one and an unset flag to oneDNN', () => {
    const p = (n: number, flags: number) => {
      const out = new Int32Array([n, 8, 8, 16, 16, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1, 1, flags]);
      expect(out.length).toBe(PARAM_COUNT);
      return out;
    };
    expect(registerNativeConvKernels({ threads: 2 })).toMatchObject({ ok: true });
    for (const kind of [ConvKind.forward, ConvKind.backwardData, ConvKind.backwardWeights]) {
      expect(addon.implName(kind, p(4, 1 | 4))).toMatch(/^batch split over 2 threads: /);
      expect(addon.implName(kind, p(1, 1 | 4))).not.toMatch(/batch split/);
      expect(addon.implName(kind, p(4, 1))).not.toMatch(/batch split/);
    }
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
    expect(addon.implName(ConvKind.forward, p(4, 1 | 4))).not.toMatch(/batch split/);
  });
});
