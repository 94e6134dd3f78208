/**
 * Throughput of Conv2D and its gradients on the tfjs wasm backend.
 *
 *   npx tsx bench/conv-grads.ts [batch]
 *
 * Columns are GFLOP/s counted as the useful work of one convolution,
 * 2 * N * Ho * Wo * Co * kh * kw * Ci, for every kernel (all three compute
 * the same number of multiply-adds). "fwd" reuses one filter tensor (XNNPack
 * keeps it packed), "fwd new W" uses a fresh copy each call as training does.
 * "new dW" / "new dx" are the kernels of client/kernels/wasm-conv-grads.ts,
 * "old dx" is the wasm backend's built-in Conv2DBackpropInput (wasm has no
 * Conv2DBackpropFilter at all); "max rel diff" checks new dx against old dx.
 */
import * as tf from '@tensorflow/tfjs-core';
import { attrsOf, medianSeconds } from './kernel-timing.js';
import '@tensorflow/tfjs-backend-wasm';
import {
  builtinWasmConv2DBackpropInput, registerWasmConvGradients,
} from '../client/kernels/wasm-conv-grads.js';

interface Shape {
  name: string; h: number; w: number; ci: number; co: number; k: number; s: number;
}

const SHAPES: Shape[] = [
  { name: 'stem 28x28x1->16 3x3 s1', h: 28, w: 28, ci: 1, co: 16, k: 3, s: 1 },
  { name: 'stem 32x32x3->16 3x3 s1', h: 32, w: 32, ci: 3, co: 16, k: 3, s: 1 },
  { name: '32x32x16->16 3x3 s1', h: 32, w: 32, ci: 16, co: 16, k: 3, s: 1 },
  { name: '32x32x16->32 3x3 s2', h: 32, w: 32, ci: 16, co: 32, k: 3, s: 2 },
  { name: '32x32x16->32 1x1 s2', h: 32, w: 32, ci: 16, co: 32, k: 1, s: 2 },
  { name: '16x16x16->32 3x3 s2', h: 16, w: 16, ci: 16, co: 32, k: 3, s: 2 },
  { name: '16x16x32->32 3x3 s1', h: 16, w: 16, ci: 32, co: 32, k: 3, s: 1 },
  { name: '8x8x64->64 3x3 s1', h: 8, w: 8, ci: 64, co: 64, k: 3, s: 1 },
  { name: '7x7x64->128 3x3 s2 (odd)', h: 7, w: 7, ci: 64, co: 128, k: 3, s: 2 },
  { name: '4x4x128->128 3x3 s1', h: 4, w: 4, ci: 128, co: 128, k: 3, s: 1 },
];

const batch = Number(process.argv[2] ?? 64);


const timeIt = (fn: () => void): number => medianSeconds(fn, 500);

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmConvGradients();
  const old = builtinWasmConv2DBackpropInput();
  if (old === undefined) throw new Error('built-in wasm Conv2DBackpropInput not found');
  const backend = tf.backend();
  const engine = tf.engine();

  const rows: string[][] = [];
  for (const sh of SHAPES) {
    const x = tf.randomNormal([batch, sh.h, sh.w, sh.ci]) as tf.Tensor4D;
    const filter = tf.randomNormal([sh.k, sh.k, sh.ci, sh.co]) as tf.Tensor4D;
    const common = { strides: sh.s, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const fwdAttrs = attrsOf({ ...common, dilations: 1 });
    const y = engine.runKernel('Conv2D', { x, filter }, fwdAttrs) as tf.Tensor4D;
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * batch * y.shape[1] * y.shape[2] * sh.co * sh.k * sh.k * sh.ci;
    const inputAttrs = attrsOf({ ...common, inputShape: x.shape });
    const filterAttrs = attrsOf({ ...common, filterShape: filter.shape });

    const fwd = timeIt(() => tf.dispose(engine.runKernel('Conv2D', { x, filter }, fwdAttrs) as tf.Tensor));
    // Training changes the weights every step: a new filter tensor makes the
    // wasm backend re-pack it for XNNPack (the gradient kernels always pay this).
    const fwdFresh = timeIt(() => {
      const w = tf.clone(filter);
      tf.dispose([engine.runKernel('Conv2D', { x, filter: w }, fwdAttrs) as tf.Tensor, w]);
    });
    const dW = timeIt(() => tf.dispose(engine.runKernel('Conv2DBackpropFilter', { x, dy }, filterAttrs) as tf.Tensor));
    const dxNew = timeIt(() => tf.dispose(engine.runKernel('Conv2DBackpropInput', { dy, filter }, inputAttrs) as tf.Tensor));
    const runOld = (): tf.TensorInfo =>
      old.kernelFunc({ inputs: { dy, filter }, backend, attrs: inputAttrs }) as tf.TensorInfo;
    const dxOld = timeIt(() => backend.disposeData(runOld().dataId));

    // Sanity: the new dx equals the built-in one.
    const a = engine.runKernel('Conv2DBackpropInput', { dy, filter }, inputAttrs) as tf.Tensor;
    const bInfo = runOld();
    const bVals = backend.readSync(bInfo.dataId) as Float32Array;
    const aVals = a.dataSync();
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < aVals.length; i++) {
      diff = Math.max(diff, Math.abs(aVals[i] - bVals[i]));
      scale = Math.max(scale, Math.abs(bVals[i]));
    }
    backend.disposeData(bInfo.dataId);
    tf.dispose([a, x, filter, y, dy]);

    const g = (sec: number): string => (flops / sec / 1e9).toFixed(1);
    rows.push([sh.name, (flops / 1e6).toFixed(0), g(fwd), g(fwdFresh), g(dW), g(dxNew), g(dxOld),
      `${(dxOld / dxNew).toFixed(1)}x`, (diff / (scale + 1e-6)).toExponential(1)]);
  }

  const header = ['shape (batch ' + batch + ', same pad)', 'MFLOP', 'fwd', 'fwd new W', 'new dW', 'new dx', 'old dx',
    'dx speedup', 'max rel diff'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
    .join(' | ');
  console.log(`tfjs ${tf.version_core}, backend wasm, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ` +
    `threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'yes' : 'no'}; GFLOP/s (median)`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

await main();
