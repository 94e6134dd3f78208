/**
 * The addon's threaded element-wise kernels (client/kernels/native/eltwise.ts,
 * native/eltwise.cc) and the threaded loops of its binary ops and sums
 * (native/ops.cc): bit-identical to the wasm kernels they replace (unary) or
 * to the cpu backend (binary, fill) on odd shapes, special values and
 * broadcasts, on one and on two threads; ReLU's gradient in one kernel against
 * tfjs's composed one, bit for bit; and a batch norm + ReLU gradient through them
 * against cpu. Skipped where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { registerNativeKernels, unregisterNativeKernels } from '../../../client/kernels/native/register.js';
import { registerWasmConvGradients } from '../../../client/kernels/wasm-conv-grads.js';
import { fusedReluGradAvailable, registerReluGradient, ReluGrad, reluGradient } from '../../../client/kernels/relu-gradient.js';
import { outputOn, relErr } from '../../support/compare.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

let seed = 7;
const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30, 3e38];
/** Uniform in [-2, 2), with the special values at the start when `special`. */
function values(n: number, special: boolean): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = special && i < SPECIAL.length ? SPECIAL[i] : (seed / 4294967296) * 4 - 2;
  }
  return out;
}
const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** Same bits, NaN where NaN (compares as Int32 views of the float32 values). */
function expectBits(label: string, got: Float32Array, ref: Float32Array): void {
  expect(got.length, label).toBe(ref.length);
  const g = new Int32Array(got.buffer, got.byteOffset, got.length);
  const r = new Int32Array(ref.buffer, ref.byteOffset, ref.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== r[i] && !(Number.isNaN(got[i]) && Number.isNaN(ref[i]))) {
      expect(`${label} [${i}]: ${got[i]}`).toBe(`${label} [${i}]: ${ref[i]}`);
    }
  }
}

/**
 * `f` on the same inputs on wasm with the native kernels and on a reference:
 * the cpu backend, or (`wasm-own`) the wasm kernels the native ones replace,
 * which training must reproduce bit for bit. Same shape and bits.
 */
async function expectExact(label: string, shapes: number[][], f: (...xs: tf.Tensor[]) => tf.Tensor, special = true,
  reference: 'cpu' | 'wasm-own' = 'cpu', threads = 1): Promise<void> {
  const data = shapes.map((s) => values(size(s), special));
  const run = (backend: string) => outputOn(backend, shapes, data, f);
  const got = await run('wasm');
  if (reference === 'wasm-own') unregisterNativeKernels();
  const ref = await run(reference === 'cpu' ? 'cpu' : 'wasm');
  if (reference === 'wasm-own') registerNativeKernels({ threads });
  await tf.setBackend('wasm');
  expect(got.shape, label).toEqual(ref.shape);
  expectBits(label, got.v, ref.v);
}

const SHAPES = [[], [1], [7], [3, 5, 7], [2, 33, 17, 5], [64, 16, 16, 16], [300_001]];

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
  registerWasmConvGradients();
});

afterAll(() => {
  unregisterNativeKernels();
});

describe.skipIf(skipReason !== '')(`native element-wise kernels${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  for (const threads of [1, 2]) {
    describe(`on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
      beforeAll(() => {
        expect(registerNativeKernels({ threads })).toMatchObject({ ok: true });
      });

      it('Relu / Step / Square / Rsqrt / Sqrt / Neg are bit-identical to the wasm kernels they replace, special values included', async () => {
        for (const s of SHAPES) {
          const exact = (label: string, f: (x: tf.Tensor) => tf.Tensor): Promise<void> => expectExact(`${label} ${s}`, [s], f, true, 'wasm-own', threads);
          await exact('relu', (x) => tf.relu(x));
          await exact('step', (x) => tf.step(x));
          await exact('step alpha', (x) => tf.step(x, 0.25));
          await exact('square', (x) => tf.square(x));
          await exact('neg', (x) => tf.neg(x));
          // The wasm kernel's rsqrt rounds differently from cpu's (1 / sqrt in float32).
          await exact('rsqrt', (x) => tf.rsqrt(tf.abs(x)));
          await exact('sqrt', (x) => tf.sqrt(tf.abs(x)));
        }
      });

      it("ReLU's gradient in one kernel gives the bits of tfjs's Step, Cast and Multiply", async () => {
        await tf.setBackend('wasm');
        expect(fusedReluGradAvailable()).toBe(true);
        // On the wasm-own side the kernel is gone, so reluGradient is the composition.
        for (const s of SHAPES) await expectExact(`relu gradient ${s}`, [s, s], (dy, x) => reluGradient(dy, x), true, 'wasm-own', threads);
        // Every special x under finite gradients of both signs (NaN x gives NaN, -0 gives a signed 0).
        const xs = SPECIAL.flatMap((v) => [v, v]);
        const dys = xs.map((_, i) => (i % 2 === 0 ? 1.5 : -1.5));
        const [x, dy] = [tf.tensor1d(xs), tf.tensor1d(dys)];
        const [fused, composed] = [reluGradient(dy, x), tf.mul(dy, tf.cast(tf.step(x), 'float32'))];
        expectBits('relu gradient of special values', fused.dataSync() as Float32Array, composed.dataSync() as Float32Array);
        tf.dispose([x, dy, fused, composed]);
      });

      it('Relu gradients run the one kernel, not Step and Multiply; other shapes are refused by name', async () => {
        await tf.setBackend('wasm');
        registerReluGradient();
        const x = tf.tensor1d([-1, 0, 2, -0, 3]);
        const profile = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(tf.relu(v)))(x));
        expect(Array.from((profile.result as tf.Tensor).dataSync())).toEqual([0, 0, 1, 0, 1]);
        expect(profile.kernelNames).toContain(ReluGrad);
        expect(profile.kernelNames).not.toContain('Step');
        tf.dispose([x, profile.result as tf.Tensor]);
        const [a, b] = [tf.ones([2, 3]), tf.ones([3, 2])];
        expect(() => tf.engine().runKernel(ReluGrad, { dy: a, x: b })).toThrow(/StreamsslReluGrad: float32 dy and x of one shape expected, got float32 \[2,3\] and float32 \[3,2\]/);
        tf.dispose([a, b]);
      });

      it('Fill is bit-identical to cpu; int32 and string fills still work', async () => {
        for (const s of SHAPES) {
          await expectExact(`fill ${s}`, [], () => tf.fill(s, 0.1));
          await expectExact(`ones ${s}`, [], () => tf.ones(s));
        }
        await tf.setBackend('wasm');
        const i = tf.fill([3], 5, 'int32');
        expect(i.dtype).toBe('int32');
        expect(Array.from(i.dataSync())).toEqual([5, 5, 5]);
        i.dispose();
      });

      it('int32 inputs go to the wasm kernels', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor1d([-2, 3], 'int32');
        const [r, q, n] = [tf.relu(x), tf.square(x), tf.neg(x)];
        expect([r.dtype, q.dtype, n.dtype]).toEqual(['int32', 'int32', 'int32']);
        expect([Array.from(r.dataSync()), Array.from(q.dataSync()), Array.from(n.dataSync())]).toEqual([[0, 3], [4, 9], [2, -3]]);
        tf.dispose([x, r, q, n]);
      });

      it('threaded binary ops are bit-identical to cpu on large broadcasts', async () => {
        const pairs: [number[], number[]][] = [
          [[64, 16, 16, 16], [16]], [[300_001], [300_001]], [[300_001], []], [[3, 1, 40_001], [3, 5, 1]],
          [[2, 70_001, 1], [1, 1, 3]], [[4, 1, 1, 1, 8], [4, 33, 17, 5, 8]],
        ];
        for (const [sa, sb] of pairs) {
          await expectExact(`add ${sa} ${sb}`, [sa, sb], (a, b) => tf.add(a, b), false);
          await expectExact(`sub ${sa} ${sb}`, [sa, sb], (a, b) => tf.sub(a, b), false);
          await expectExact(`mul ${sa} ${sb}`, [sa, sb], (a, b) => tf.mul(a, b), false);
        }
      });

      it('threaded sums are float32-close to cpu and bit-identical across thread counts', async () => {
        const cases: [number[], number[]][] = [
          [[64, 32, 32, 16], [0, 1, 2]], [[4, 16, 32, 32, 16], [1, 2, 3]], [[300_001], [0]], [[65, 4097], [0]], [[3, 77, 129], [1]],
        ];
        for (const [shape, axes] of cases) {
          const data = values(size(shape), false);
          const on = async (backend: string, n?: number): Promise<Float32Array> => {
            await tf.setBackend(backend);
            if (n !== undefined) registerNativeKernels({ threads: n });
            return tf.tidy(() => tf.sum(tf.tensor(data, shape), axes).dataSync() as Float32Array);
          };
          const one = await on('wasm', 1);
          const two = await on('wasm', 2);
          registerNativeKernels({ threads });
          expectBits(`sum ${shape} over ${axes}, 1 vs 2 threads`, two, one);
          expect(relErr(one, await on('cpu')), `sum ${shape} over ${axes}`).toBeLessThan(1e-5);
        }
        await tf.setBackend('wasm');
      });

      it('batch norm + ReLU: values and gradients match cpu', async () => {
        const shape = [8, 9, 7, 16];
        const [xd, gd, bd, wd] = [values(size(shape), false), values(16, false), values(16, false), values(size(shape), false)];
        const run = async (backend: string): Promise<Float32Array[]> => {
          await tf.setBackend(backend);
          return tf.tidy(() => {
            const [x, g, b, w] = [tf.tensor(xd, shape), tf.tensor(gd), tf.tensor(bd), tf.tensor(wd, shape)];
            const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
              const { mean, variance } = tf.moments(xx, [0, 1, 2], true);
              const y = tf.relu(tf.add(tf.mul(tf.mul(tf.sub(xx, mean), tf.rsqrt(tf.add(variance, 1e-5))), gg), bb));
              return tf.sum(tf.mul(y, w));
            };
            const { value, grads } = tf.valueAndGrads(f)([x, g, b]);
            return [value, ...grads].map((t) => t.dataSync() as Float32Array);
          });
        };
        const got = await run('wasm');
        const ref = await run('cpu');
        await tf.setBackend('wasm');
        ['loss', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => expect(relErr(got[i], ref[i]), name).toBeLessThan(1e-5));
      });
    });
  }
});
