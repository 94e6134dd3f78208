/**
 * When the threaded wasm build cannot start, wasm comes up single-threaded and says why.
 * (Its own file: tfjs initializes a backend once per process.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../client/backend.js';

const RealMemory = WebAssembly.Memory;

// The threaded wasm build is only tried without the oneDNN kernels.
process.env.STREAMSSL_ONEDNN = '0';

afterEach(() => {
  WebAssembly.Memory = RealMemory;
});

describe('threaded wasm fallback', () => {
  it('falls back to the single-threaded build, recording the reason', async () => {
    // The threaded build creates its shared memory in JavaScript, the single-threaded one
    // inside the module: refusing shared memories fails only the former, inside tfjs.
    WebAssembly.Memory = class extends RealMemory {
      constructor(descriptor: WebAssembly.MemoryDescriptor) {
        if (descriptor.shared) throw new Error('simulated: no shared memory');
        super(descriptor);
      }
    };
    const choice = await selectBackend('wasm', { threads: 2 });
    WebAssembly.Memory = RealMemory;
    expect(choice).toMatchObject({ name: 'wasm', tfName: 'wasm', threads: 1 });
    expect(choice.reason).toMatch(/^forced with --backend wasm; wasm on 1 thread \(the threaded build failed: .+\)$/);
    expect('PThread' in (tf.backend() as BackendWasm).wasm).toBe(false);
    // And it computes, gradients included.
    const w = tf.ones([3, 3, 2, 4]) as tf.Tensor4D;
    const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const dw = tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(x, v as tf.Tensor4D, 1, 'valid')))(w);
    expect(Array.from(await dw.data()).every((v) => v === 9)).toBe(true);
    tf.dispose([w, x, dw]);
  });
});
