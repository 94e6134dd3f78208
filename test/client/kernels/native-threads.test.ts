/**
 * The oneDNN addon called from two JS threads at once (worker threads, each with its
 * own wasm heap, as bench/data-parallel/ runs them): each calling thread keeps its own
 * plans, buffers and streams (native/conv.cc), so every call gives the bits it gives
 * alone. Shared, the two threads' convolutions of one geometry set each other's buffers:
 * wrong values, out-of-bounds accesses or a crash. Skipped where the addon is not built.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadOneDnn } from '../../../client/kernels/native/onednn.js';
import { entryFile } from '../../../shared/code-location.js';

const loaded = loadOneDnn();
const skipReason = loaded.addon === null ? loaded.reason : '';

/**
 * A worker's loop: the same convolution (forward, data and weight gradients, one geometry,
 * one slice of the batch) `calls` times; it posts how many calls differed from its first
 * and the first's sum. The modules are the build's JavaScript: a worker cannot load
 * TypeScript.
 */
const WORKER = `
  const { workerData, parentPort } = require('node:worker_threads');
  (async () => {
    const tf = require('@tensorflow/tfjs-core');
    const { selectBackend } = await import(workerData.backend);
    const choice = await selectBackend('wasm', { threads: 1 });
    const x = tf.randomNormal([8, 16, 16, 32], 0, 1, 'float32', 1);
    const w = tf.randomNormal([3, 3, 32, 32], 0, 0.1, 'float32', 2);
    const once = () => tf.tidy(() => {
      const f = (xx, ww) => tf.conv2d(xx, ww, 1, 'same').square().sum();
      const [dx, dw] = tf.grads(f)([x, w]);
      return tf.concat([tf.conv2d(x, w, 1, 'same').flatten(), dx.flatten(), dw.flatten()]).dataSync();
    });
    const first = once();
    let differed = 0;
    for (let i = 1; i < workerData.calls; i++) {
      const got = once();
      if (got.some((v, j) => !Object.is(v, first[j]))) differed++;
    }
    parentPort.postMessage({ runs: choice.runs, differed, sum: first.reduce((a, b) => a + b, 0) });
  })().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));`;

interface WorkerResult { runs?: string; differed?: number; sum?: number; error?: string }

function runWorker(calls: number): Promise<WorkerResult> {
  const backend = pathToFileURL(entryFile('client/backend')).href;
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { backend, calls } });
    w.once('message', (m: WorkerResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it answered`)));
  });
}

describe.skipIf(skipReason !== '')(`oneDNN addon on two JS threads at once${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('gives each thread the bits it gives alone', async () => {
    const [a, b] = await Promise.all([runWorker(20), runWorker(20)]);
    for (const r of [a, b]) {
      expect(r.error).toBeUndefined();
      expect(r.runs).toMatch(/oneDNN .* on 1 thread/);
      expect(r.differed).toBe(0);
    }
    // The same data and weights on both threads: the same results.
    expect(a.sum).toBe(b.sum);
  });
});
