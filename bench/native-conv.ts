/**
 * GFLOP/s of Conv2D and its gradients: the wasm kernels (XNNPack forward +
 * client/kernels/wasm-conv-grads.ts) against the oneDNN addon, in its two
 * layouts, all in one process so the ratios are comparable on a noisy machine.
 *
 *   npx tsx bench/native-conv.ts [batch] [threads]
 *
 * FLOPs are 2 * N * Ho * Wo * Co * kh * kw * Ci for all three kernels. The old
 * forward reuses one filter tensor (XNNPack keeps it packed: its best case).
 */
import * as tf from '@tensorflow/tfjs-core';
import { attrsOf, medianSeconds } from './kernel-timing.js';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvGradients } from '../client/kernels/wasm-conv-grads.js';
import { setLayoutOverride, type LayoutOverride } from '../client/kernels/native/layout.js';
import { loadOneDnn, type ConvKindValue } from '../client/kernels/native/onednn.js';
import { registerNativeConvKernels, unregisterNativeConvKernels } from '../client/kernels/native/register.js';

interface Shape { name: string; h: number; ci: number; co: number; k: number; s: number }

const SHAPES: Shape[] = [
  { name: 'stem 32x32x3->16 3x3', h: 32, ci: 3, co: 16, k: 3, s: 1 },
  { name: '32x32x16->16 3x3', h: 32, ci: 16, co: 16, k: 3, s: 1 },
  { name: '32x32x16->32 3x3 s2', h: 32, ci: 16, co: 32, k: 3, s: 2 },
  { name: '32x32x16->32 1x1 s2', h: 32, ci: 16, co: 32, k: 1, s: 2 },
  { name: '16x16x32->32 3x3', h: 16, ci: 32, co: 32, k: 3, s: 1 },
  { name: '16x16x32->64 3x3 s2', h: 16, ci: 32, co: 64, k: 3, s: 2 },
  { name: '8x8x64->64 3x3', h: 8, ci: 64, co: 64, k: 3, s: 1 },
  { name: '8x8x64->128 3x3 s2', h: 8, ci: 64, co: 128, k: 3, s: 2 },
  { name: '4x4x128->128 3x3', h: 4, ci: 128, co: 128, k: 3, s: 1 },
];

const batch = Number(process.argv[2] ?? 64);
const threads = Number(process.argv[3] ?? 1);

const timeIt = (fn: () => void): number => medianSeconds(fn, 400);

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmConvGradients();
  const names = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const;
  const old = Object.fromEntries(names.map((n) => [n, tf.getKernel(n, 'wasm')!])) as Record<string, tf.KernelConfig>;
  const reg = registerNativeConvKernels({ threads });
  if (!reg.ok) throw new Error(reg.reason);
  const nat = Object.fromEntries(names.map((n) => [n, tf.getKernel(n, 'wasm')!])) as Record<string, tf.KernelConfig>;
  const addon = loadOneDnn().addon!;
  const backend = tf.backend();

  const header = ['shape (batch ' + batch + ')', 'MFLOP', 'old fwd', 'old dW', 'old dx',
    'plain fwd', 'plain dW', 'plain dx', 'any fwd', 'any dW', 'any dx', 'best/old fwd,dW,dx', 'impl (any) fwd | dW | dx'];
  const rows: string[][] = [];
  for (const sh of SHAPES) {
    const x = tf.randomNormal([batch, sh.h, sh.h, sh.ci]) as tf.Tensor4D;
    const filter = tf.randomNormal([sh.k, sh.k, sh.ci, sh.co]) as tf.Tensor4D;
    const common = { strides: sh.s, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    const fwdAttrs = attrsOf({ ...common, dilations: 1 });
    const y = tf.conv2d(x, filter, sh.s, 'same');
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * batch * y.shape[1] * y.shape[2] * sh.co * sh.k * sh.k * sh.ci;
    const cfgAttrs = {
      Conv2D: fwdAttrs,
      Conv2DBackpropFilter: attrsOf({ ...common, filterShape: filter.shape }),
      Conv2DBackpropInput: attrsOf({ ...common, inputShape: x.shape }),
    };
    const inputs = { Conv2D: { x, filter }, Conv2DBackpropFilter: { x, dy }, Conv2DBackpropInput: { dy, filter } };
    const time = (configs: Record<string, tf.KernelConfig>, name: (typeof names)[number]): number =>
      timeIt(() => {
        const out = configs[name].kernelFunc({ inputs: inputs[name], backend, attrs: cfgAttrs[name] }) as tf.TensorInfo;
        backend.disposeData(out.dataId);
      });
    const g = (sec: number): number => flops / sec / 1e9;
    // The old gradient kernels call whatever Conv2D is registered: put the wasm one back.
    unregisterNativeConvKernels();
    const oldG = names.map((n) => g(time(old, n)));
    registerNativeConvKernels({ threads });
    const byLayout: Record<string, number[]> = {};
    for (const layout of ['plain', 'any'] as LayoutOverride[]) {
      setLayoutOverride(layout);
      byLayout[layout!] = names.map((n) => g(time(nat, n)));
    }
    setLayoutOverride(undefined);
    const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, sh.s, 1, 'same');
    const pb = Math.max(0, (info.outHeight - 1) * sh.s + sh.k - sh.h - info.padInfo.top);
    const p = new Int32Array([batch, sh.h, sh.h, sh.ci, sh.co, sh.k, sh.k, y.shape[1], y.shape[2], sh.s, sh.s,
      info.padInfo.top, info.padInfo.left, pb, pb, 1, 1, 1]);
    const impls = ([0, 2, 1] as ConvKindValue[]).map((k) => addon.implName(k, p)).join(' | ');
    const best = names.map((_, i) => Math.max(byLayout.plain[i], byLayout.any[i]) / oldG[i]);
    const f = (v: number): string => v.toFixed(1);
    rows.push([sh.name, (flops / 1e6).toFixed(0), ...oldG.map(f), ...byLayout.plain.map(f), ...byLayout.any.map(f),
      best.map((b) => `${b.toFixed(1)}x`).join(','), impls]);
    tf.dispose([x, filter, y, dy]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ');
  console.log(`oneDNN ${addon.version()}, ${threads} thread(s); GFLOP/s (median); old = wasm XNNPack fwd + wasm-conv-grads.ts`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
