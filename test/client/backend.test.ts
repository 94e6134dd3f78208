/**
 * Backend choice: the threaded wasm build starts in Node with the threads asked for, the
 * project's wasm Conv2D gradient kernels give the cpu backend's results on it, and a
 * forced backend that cannot load fails naming it.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendChoice } from '../../client/backend.js';
import { relErr as maxRelDiff } from '../support/compare.js';

let choice: BackendChoice;

// These tests are about the threaded wasm build, which the oneDNN kernels would replace.
process.env.STREAMSSL_ONEDNN = '0';

beforeAll(async () => {
  choice = await selectBackend('wasm', { threads: 2 });
});

describe('threaded wasm', () => {
  it('starts with 2 threads, as the backend itself reports', () => {
    expect(choice).toMatchObject({ name: 'wasm', tfName: 'wasm', threads: 2 });
    expect(choice.reason).toMatch(/^forced with --backend wasm; wasm on 2 threads \(no oneDNN kernels: disabled by STREAMSSL_ONEDNN=0\)$/);
    expect(choice.runs).toBe('wasm on 2 threads (no oneDNN kernels: disabled by STREAMSSL_ONEDNN=0)');
    const backend = tf.backend() as BackendWasm;
    // Only the threaded Emscripten build has a pthread pool.
    expect('PThread' in backend.wasm).toBe(true);
    expect(backend.wasm.tfjs.getThreadsCount()).toBe(2);
    expect(getThreadsCount()).toBe(2);
  });

  it('runs the project\'s conv gradient kernels, matching the cpu backend', async () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    type Shape4 = [number, number, number, number];
    const cases: Array<{ x: Shape4; w: Shape4; stride: number; pad: 'same' | 'valid' }> = [
      { x: [8, 16, 16, 16], w: [3, 3, 16, 32], stride: 1, pad: 'same' },
      { x: [8, 17, 17, 32], w: [3, 3, 32, 64], stride: 2, pad: 'same' },
      { x: [4, 9, 9, 8], w: [1, 1, 8, 16], stride: 2, pad: 'valid' },
    ];
    for (const c of cases) {
      const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomUniform(c.w, -1, 1, 'float32', 2) as tf.Tensor4D;
      const xv = await x.data();
      const wv = await w.data();
      tf.dispose([x, w]);
      const grads = async (): Promise<Float32Array[]> => {
        const [xt, wt] = [tf.tensor4d(xv, c.x), tf.tensor4d(wv, c.w)];
        // A non-uniform dy so that both gradients depend on every input.
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)));
        const [dx, dw] = tf.grads(f)([xt, wt]);
        const out = [(await dx.data()) as Float32Array, (await dw.data()) as Float32Array];
        tf.dispose([xt, wt, dx, dw]);
        return out;
      };
      const onWasm = await grads();
      await tf.setBackend('cpu');
      const onCpu = await grads();
      await tf.setBackend('wasm');
      onWasm.forEach((g, i) => expect(maxRelDiff(g, onCpu[i])).toBeLessThan(1e-4));
    }
    expect(tf.getBackend()).toBe('wasm');
  });

  it('does not leak tensors across training-like steps', () => {
    const w = tf.variable(tf.randomNormal([3, 3, 8, 8], 0, 0.1, 'float32', 3));
    const x = tf.randomNormal([4, 8, 8, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
    const step = () => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.square(tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))) as tf.Scalar, [w]);
      w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)));
    });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
  });
});

describe('forced backends', () => {
  const nativeInstalled = (() => {
    try {
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(nativeInstalled)('a forced backend that cannot load fails, naming it', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" was requested but cannot load: .*tfjs-node/);
    // The failed attempt leaves the active backend alone.
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects a thread count that is not a positive integer', async () => {
    await expect(selectBackend('wasm', { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
  });
});

