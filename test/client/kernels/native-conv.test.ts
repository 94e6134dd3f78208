/**
 * The oneDNN convolution kernels registered for wasm (client/kernels/native/)
 * must agree with the cpu backend on the same data, in both layouts oneDNN can
 * run on, and must not leak tensors. Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradient functions.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLayoutOverride } from '../../../client/kernels/native/layout.js';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import {
  nativeConvKernelsRegistered, registerNativeConvKernels, unregisterNativeConvKernels,
} from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { relErr } from '../../support/compare.js';
import { againstCpu, convGrads, convRandom, outSize, randomConvCases, type ConvCase } from '../../support/conv-cases.js';
import { expectConvGradientsDoNotLeak } from '../../support/conv-leak.js';

type Case = ConvCase;

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

const random = convRandom(4321);

async function expectMatchesCpu(c: Case): Promise<void> {
  const { got, ref } = await againstCpu('wasm', c, random);
  const label = `${layoutLabel} layout ${JSON.stringify(c)}`;
  expect(relErr(got.y, ref.y), `forward ${label}`).toBeLessThan(1e-4);
  if (ref.dx) expect(relErr(got.dx!, ref.dx), `dx ${label}`).toBeLessThan(1e-4);
  if (ref.dw) expect(relErr(got.dw!, ref.dw), `dW ${label}`).toBeLessThan(1e-4);
}

/** Random cases over the requested grid: strides 1/2, same/valid, odd sizes, 1x1/3x3, batch 1-8, channels 1-32. */
const randomCases = (count: number): Case[] =>
  randomConvCases(count, { kernels: () => [1, 3], sizes: [3, 5, 7, 8, 9, 15, 16], maxBatch: 8, maxChannels: 32 }, random);

/** Hand-picked corners: asymmetric 'same' pads, unused trailing rows, explicit / numeric pads, ceil rounding. */
const edgeCases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // extra pad bottom/right
  { n: 1, h: 8, w: 9, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 'valid' }, // last row unused
  { n: 3, h: 16, w: 16, ci: 16, co: 32, kh: 1, kw: 1, strides: [2, 2], pad: 'same' }, // 1x1 downsample
  { n: 2, h: 9, w: 9, ci: 3, co: 5, kh: 7, kw: 7, strides: [2, 2], pad: 'same' }, // stem
  { n: 1, h: 4, w: 4, ci: 2, co: 2, kh: 7, kw: 7, strides: [2, 2], pad: 'same' }, // kernel larger than input
  { n: 2, h: 7, w: 8, ci: 3, co: 2, kh: 3, kw: 1, strides: [1, 2], pad: 'same' }, // non-square
  { n: 2, h: 9, w: 6, ci: 2, co: 3, kh: 1, kw: 3, strides: [2, 1], pad: 'valid' },
  { n: 1, h: 1, w: 1, ci: 4, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // 1x1 image
  { n: 2, h: 9, w: 7, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 1 }, // numeric pad
  { n: 1, h: 10, w: 9, ci: 2, co: 2, kh: 4, kw: 4, strides: [3, 3], pad: 2 }, // stride 3, even kernel
  { n: 1, h: 10, w: 9, ci: 2, co: 2, kh: 4, kw: 4, strides: [3, 3], pad: 2, rounding: 'ceil', forwardOnly: true }, // output reads past the pad
  { n: 2, h: 8, w: 9, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },
  { n: 1, h: 5, w: 5, ci: 1, co: 1, kh: 2, kw: 2, strides: [1, 1], pad: [[0, 0], [4, 0], [0, 4], [0, 0]] }, // pad > kernel
  { n: 2, h: 9, w: 9, ci: 4, co: 6, kh: 3, kw: 3, strides: [1, 1], pad: 'same', dilation: 2 }, // dilated forward
  { n: 8, h: 32, w: 32, ci: 16, co: 16, kh: 3, kw: 3, strides: [1, 1], pad: 'same' }, // ResNet block
  { n: 4, h: 4, w: 4, ci: 128, co: 128, kh: 3, kw: 3, strides: [1, 1], pad: 'same' }, // deep, tiny image
  // One channel block (16 / 8): oneDNN works on the heap with no reorder.
  { n: 3, h: 9, w: 7, ci: 16, co: 16, kh: 3, kw: 3, strides: [2, 2], pad: 'same' },
  { n: 3, h: 9, w: 7, ci: 8, co: 8, kh: 3, kw: 3, strides: [1, 1], pad: 'valid' },
  { n: 2, h: 6, w: 6, ci: 16, co: 8, kh: 1, kw: 1, strides: [1, 1], pad: 'same' },
];

const originals: Record<string, tf.KernelConfig | undefined> = {};

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) originals[name] = tf.getKernel(name, 'wasm');
  if (!skipReason) {
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
  }
});

let layoutLabel = 'default';

afterAll(() => setLayoutOverride(undefined));

describe.skipIf(skipReason !== '')(`oneDNN conv kernels for wasm${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('replace the wasm kernels only, and registration is idempotent and reversible', () => {
    expect(nativeConvKernelsRegistered()).toBe(true);
    expect(registerNativeConvKernels()).toMatchObject({ ok: true }); // again: still ours, fallbacks kept
    expect(nativeConvKernelsRegistered()).toBe(true);
    expect(tf.getKernel('Conv2D', 'cpu')?.kernelFunc).not.toBe(tf.getKernel('Conv2D', 'wasm')?.kernelFunc);
    unregisterNativeConvKernels();
    expect(nativeConvKernelsRegistered()).toBe(false);
    for (const name of Object.keys(originals)) expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBe(originals[name]?.kernelFunc);
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
    expect(nativeConvKernelsRegistered()).toBe(true);
  });

  it('set the OpenMP thread count', () => {
    const addon = loaded.addon!;
    expect(registerNativeConvKernels({ threads: 2 })).toMatchObject({ ok: true });
    expect(addon.maxThreads()).toBe(2);
    expect(registerNativeConvKernels({ threads: 1 })).toMatchObject({ ok: true });
    expect(addon.maxThreads()).toBe(1);
  });

  for (const layout of ['plain', 'any'] as const) {
    describe(`with oneDNN layout '${layout}'`, () => {
      beforeAll(() => {
        setLayoutOverride(layout);
        layoutLabel = layout;
      });
      it.each(edgeCases.map((c) => [JSON.stringify(c), c] as const))('match cpu on edge case %s', async (_, c) => {
        await expectMatchesCpu(c);
      });
      it('match cpu on 40 random shapes', async () => {
        for (const c of randomCases(40)) await expectMatchesCpu(c);
      });
    });
  }

  it('match cpu with the default layout rule on 40 random shapes', async () => {
    setLayoutOverride(undefined);
    layoutLabel = 'default';
    for (const c of randomCases(40)) await expectMatchesCpu(c);
  });

  it('give the same bytes whatever ran before them (one scratch block for every plan) as from a fresh plan', async () => {
    await tf.setBackend('wasm');
    setLayoutOverride('any'); // blocked layouts: reorders through the shared scratch block
    // Channels that do not fill a block leave padding in the blocked buffers, which a
    // larger convolution run in between fills with its own values.
    const small: Case = { n: 2, h: 7, w: 6, ci: 3, co: 5, kh: 3, kw: 3, strides: [1, 1], pad: 'same' };
    const large: Case = { n: 4, h: 16, w: 16, ci: 24, co: 40, kh: 3, kw: 3, strides: [2, 2], pad: 'same' };
    const data = (c: Case) => {
      const [ho, wo] = outSize(c);
      return [random.randArray(c.n * c.h * c.w * c.ci), random.randArray(c.kh * c.kw * c.ci * c.co), random.randArray(c.n * ho * wo * c.co)] as const;
    };
    const inputs = data(small);
    const fresh = await convGrads('wasm', small, ...inputs);
    const ref = await convGrads('cpu', small, ...inputs);
    await tf.setBackend('wasm');
    expect(relErr(fresh.y, ref.y)).toBeLessThan(1e-4);
    expect(relErr(fresh.dx!, ref.dx!)).toBeLessThan(1e-4);
    expect(relErr(fresh.dw!, ref.dw!)).toBeLessThan(1e-4);
    const [lx, lw, ldy] = data(large);
    await convGrads('wasm', large, lx.map((v) => v * 1e6), lw, ldy.map((v) => v * 1e6));
    const reused = await convGrads('wasm', small, ...inputs);
    loaded.addon!.clearCache();
    const rebuilt = await convGrads('wasm', small, ...inputs);
    for (const got of [reused, rebuilt]) {
      expect(got.y).toEqual(fresh.y);
      expect(got.dx).toEqual(fresh.dx);
      expect(got.dw).toEqual(fresh.dw);
    }
    setLayoutOverride(undefined);
  });

  it('do not leak tensors or backend data across repeated training steps', async () => {
    await tf.setBackend('wasm');
    expectConvGradientsDoNotLeak();
  });

  it('read the heap after it grows (tensors allocated after a large allocation)', async () => {
    await tf.setBackend('wasm');
    const before = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
    const big = tf.zeros([Math.ceil(before / 4) + 1024]); // forces memory.grow
    const c: Case = { n: 2, h: 8, w: 8, ci: 5, co: 7, kh: 3, kw: 3, strides: [1, 1], pad: 'same' };
    await expectMatchesCpu(c);
    tf.dispose(big);
  });

  it('hand NCHW to the kernel registered before (which rejects it)', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const filter = tf.zeros([3, 3, 2, 2]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', dilations: 1 } as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel('Conv2D', { x, filter }, attrs)).toThrow(/channelsLast/);
    tf.dispose([x, filter]);
  });

  it('report a mismatched dy shape clearly', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 3, 3, 2]);
    const filter = tf.zeros([3, 3, 2, 2]);
    const attrs = { strides: 1, pad: 'same', inputShape: [1, 4, 4, 2] } as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs)).toThrow(/dy shape/);
    tf.dispose([dy, filter]);
  });
});
