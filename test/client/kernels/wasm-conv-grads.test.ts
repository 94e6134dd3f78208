/**
 * The wasm Conv2D gradient kernels must agree with the cpu backend's reference
 * kernels on the same data, must not leak tensors, and must be able to train.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone has no gradient functions.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { planFilterGradAxis, planInputGradAxis } from '../../../client/kernels/conv-grad-plan.js';
import {
  registerWasmConvGradients, unregisterWasmConvGradients, wasmConvGradKernels,
} from '../../../client/kernels/wasm-conv-grads.js';
import { relErr } from '../../support/compare.js';
import { againstCpu, convRandom, randomConvCases, type ConvCase } from '../../support/conv-cases.js';
import { expectConvGradientsDoNotLeak } from '../../support/conv-leak.js';

type Case = ConvCase;

const random = convRandom(1234);
const { rand, randArray } = random;

async function expectMatchesCpu(c: Case): Promise<void> {
  const { got, ref } = await againstCpu('wasm', c, random);
  const label = JSON.stringify(c);
  if (!c.wasmForwardBroken) expect(relErr(got.y, ref.y), `forward ${label}`).toBeLessThan(1e-4);
  expect(relErr(got.dx!, ref.dx!), `dx ${label}`).toBeLessThan(1e-4);
  expect(relErr(got.dw!, ref.dw!), `dW ${label}`).toBeLessThan(1e-4);
}

/** Random cases over the requested grid (7x7 only with stride 2, like a stem). */
const randomCases = (count: number): Case[] =>
  randomConvCases(count, { kernels: (s) => (s === 2 ? [1, 3, 7] : [1, 3]), sizes: [5, 7, 8, 9, 16], maxBatch: 4, maxChannels: 8 }, random);

/** Hand-picked corners: odd totals of 'same' padding, unused trailing rows, explicit pads... */
const edgeCases: Case[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // extra pad bottom/right
  { n: 1, h: 8, w: 9, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 'valid' }, // last row unused
  { n: 3, h: 16, w: 16, ci: 8, co: 8, kh: 1, kw: 1, strides: [2, 2], pad: 'same' }, // 1x1 downsample
  { n: 2, h: 9, w: 9, ci: 3, co: 5, kh: 7, kw: 7, strides: [2, 2], pad: 'same' }, // stem
  { n: 1, h: 4, w: 4, ci: 2, co: 2, kh: 7, kw: 7, strides: [2, 2], pad: 'same' }, // kernel larger than input
  { n: 2, h: 7, w: 8, ci: 3, co: 2, kh: 3, kw: 1, strides: [1, 2], pad: [[0, 0], [1, 1], [0, 0], [0, 0]] }, // non-square
  { n: 2, h: 9, w: 6, ci: 2, co: 3, kh: 1, kw: 3, strides: [2, 1], pad: 'valid' },
  { n: 2, h: 7, w: 8, ci: 3, co: 2, kh: 3, kw: 1, strides: [1, 2], pad: 'same', wasmForwardBroken: true },
  { n: 1, h: 1, w: 1, ci: 4, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 'same' }, // 1x1 image
  { n: 2, h: 9, w: 7, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 1 }, // numeric pad
  { n: 1, h: 10, w: 9, ci: 2, co: 2, kh: 4, kw: 4, strides: [3, 3], pad: 2 }, // stride 3, even kernel
  { n: 2, h: 8, w: 9, ci: 2, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },
  { n: 1, h: 5, w: 5, ci: 1, co: 1, kh: 2, kw: 2, strides: [1, 1], pad: [[0, 0], [4, 0], [0, 4], [0, 0]] }, // pad > kernel
];

/**
 * One spatial axis in plain JS: the plans, executed literally (pad, slice,
 * correlate, interleave), must reproduce the textbook gradient sums for every
 * small size / kernel / stride / padding combination.
 */
describe('conv-grad-plan index math (1-D, exhaustive)', () => {
  it('reproduces dx and dW for H<=12, k<=7, s<=3, pads<=4', () => {
    let cases = 0;
    for (let h = 1; h <= 12; h++) for (let k = 1; k <= 7; k++) for (let s = 1; s <= 3; s++) {
      for (let pt = 0; pt <= 4; pt++) for (let pb = 0; pb <= 4; pb++) {
        const ho = Math.floor((h + pt + pb - k) / s) + 1;
        if (ho < 1) continue;
        cases++;
        const x = Array.from({ length: h }, () => rand());
        const w = Array.from({ length: k }, () => rand());
        const dy = Array.from({ length: ho }, () => rand());
        const xAt = (u: number): number => (u >= 0 && u < h ? x[u] : 0);
        const dyAt = (u: number): number => (u >= 0 && u < ho ? dy[u] : 0);
        // Reference: y[i] = sum_p x[s*i + p - pt] * w[p].
        const dwRef = w.map((_, p) => dy.reduce((acc, d, i) => acc + xAt(s * i + p - pt) * d, 0));
        const dxRef = x.map((_, r) => {
          let acc = 0;
          for (let i = 0; i < ho; i++) for (let p = 0; p < k; p++) if (s * i + p === r + pt) acc += dy[i] * w[p];
          return acc;
        });
        // dW plan: correlate the padded/cropped x with dy dilated by s.
        const f = planFilterGradAxis(h, ho, k, s, pt);
        const img = (v: number): number => xAt(v - f.padBefore + f.sliceBegin);
        const dw = f.sliceSize <= 0 ? w.map(() => 0)
          : w.map((_, p) => dy.reduce((acc, d, i) => acc + img(p + s * i) * d, 0));
        if (f.sliceSize > 0) expect(f.padBefore + f.sliceSize + f.padAfter).toBe((ho - 1) * s + k);
        // dx plan: per residue, stride-1 correlation of padded/cropped dy with flipped taps.
        const plan = planInputGradAxis(h, ho, k, s, pt);
        const wf = [...w].reverse();
        const dx = new Array<number>(h).fill(0);
        for (const ph of plan.phases) {
          if (ph.taps === 0 || ph.sliceSize <= 0) continue;
          expect(ph.padBefore + ph.sliceSize + ph.padAfter - ph.taps + 1).toBe(plan.perPhase);
          for (let j = 0; j < plan.perPhase && ph.residue + s * j < h; j++) {
            let acc = 0;
            for (let m = 0; m < ph.taps; m++) acc += dyAt(j + m - ph.padBefore + ph.sliceBegin) * wf[ph.tapStart + s * m];
            dx[ph.residue + s * j] = acc;
          }
        }
        for (let p = 0; p < k; p++) expect(Math.abs(dw[p] - dwRef[p])).toBeLessThan(1e-9);
        for (let r = 0; r < h; r++) expect(Math.abs(dx[r] - dxRef[r])).toBeLessThan(1e-9);
      }
    }
    expect(cases).toBeGreaterThan(5000);
  });
});

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  registerWasmConvGradients();
  registerWasmConvGradients(); // idempotent
});

describe('wasm Conv2D gradient kernels', () => {
  it('are registered for wasm only, and registration is idempotent and reversible', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(wasmConvGradKernels.conv2DBackpropFilter);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(wasmConvGradKernels.conv2DBackpropInput);
    expect(tf.getKernel('Conv2DBackpropInput', 'cpu')?.kernelFunc).not.toBe(wasmConvGradKernels.conv2DBackpropInput);
    unregisterWasmConvGradients();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const builtin = tf.getKernel('Conv2DBackpropInput', 'wasm');
    expect(builtin).toBeDefined();
    expect(builtin?.kernelFunc).not.toBe(wasmConvGradKernels.conv2DBackpropInput);
    registerWasmConvGradients();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(wasmConvGradKernels.conv2DBackpropInput);
  });

  it.each(edgeCases.map((c) => [JSON.stringify(c), c] as const))('match cpu on edge case %s', async (_, c) => {
    await expectMatchesCpu(c);
  });

  it('match cpu on 60 random shapes', async () => {
    for (const c of randomCases(60)) await expectMatchesCpu(c);
  });

  it('do not leak tensors or backend data across repeated gradient calls', async () => {
    await tf.setBackend('wasm');
    expectConvGradientsDoNotLeak();
  });

  it('reject unsupported configurations with a clear error', async () => {
    await tf.setBackend('wasm');
    const dy = tf.zeros([1, 4, 4, 2]);
    const filter = tf.zeros([3, 3, 2, 2]);
    const attrs = (extra: object): tf.NamedAttrMap =>
      ({ strides: 1, pad: 'same', dimRoundingMode: undefined, inputShape: [1, 4, 4, 2], ...extra }) as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs({ dataFormat: 'NCHW' })))
      .toThrow(/NHWC/);
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs({ dataFormat: 'NHWC', dilations: 2 })))
      .toThrow(/dilation/);
    tf.dispose([dy, filter]);
  });

  it('train a tiny conv net (conv -> relu -> conv stride 2 -> mean) with falling loss', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(randArray(4 * 8 * 8 * 2), [4, 8, 8, 2]);
    const target = tf.tensor4d(randArray(4 * 4 * 4 * 3), [4, 4, 4, 3]);
    const w1 = tf.variable(tf.mul(tf.tensor4d(randArray(3 * 3 * 2 * 6), [3, 3, 2, 6]), 0.3));
    const w2 = tf.variable(tf.mul(tf.tensor4d(randArray(3 * 3 * 6 * 3), [3, 3, 6, 3]), 0.3));
    const loss = (): tf.Scalar => {
      const h = tf.relu(tf.conv2d(x, w1 as tf.Variable<tf.Rank.R4>, 1, 'same'));
      const y = tf.conv2d(h, w2 as tf.Variable<tf.Rank.R4>, 2, 'same');
      return tf.mean(tf.squaredDifference(y, target));
    };
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, [w1, w2]);
        losses.push(value.dataSync()[0]);
        for (const v of [w1, w2]) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.5)));
      });
    }
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(losses[losses.length - 1]).toBeLessThan(0.9 * losses[0]);
    tf.dispose([x, target, w1, w2]);
  });
});
