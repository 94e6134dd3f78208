/**
 * GFLOP/s of Conv2D and its gradients: the wasm kernels (XNNPack forward +
 * client/kernels/wasm-conv-grads.ts) against the oneDNN addon, in its two
 * layouts, all in one process so the ratios are comparable on a noisy machine.
 *
 *   npx tsx bench/native-conv.ts [batch] [threads] [small|resnet18|quickstart]
 *
 * The shapes are those of the bench's `small` configuration (32x32 inputs), of its
 * ResNet-18 widths, or of the quickstart (28x28 inputs, stem stride 2). "wino" columns
 * ask for winograd on every 3x3 stride-1 shape (the blocked layout), which is how the
 * rule in client/kernels/native/conv-algorithm.ts was measured. With more than one thread,
 * the other columns let oneDNN split each convolution over the threads itself, and the
 * "split" columns give each thread a slice of the batch instead (blocked layout, direct
 * or winograd by the default rule): how the rule in client/kernels/native/batch-split.ts
 * was measured.
 *
 * FLOPs are 2 * N * Ho * Wo * Co * kh * kw * Ci for all three kernels. The old
 * forward reuses one filter tensor (XNNPack keeps it packed: its best case).
 */
import * as tf from '@tensorflow/tfjs-core';
import { attrsOf, medianSeconds } from './kernel-timing.js';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvGradients } from '../client/kernels/wasm-conv-grads.js';
import { setLayoutOverride, type LayoutOverride } from '../client/kernels/native/layout.js';
import { useWinogradConvolutions, WINOGRAD_FLAG } from '../client/kernels/native/conv-algorithm.js';
import { useBatchSplit } from '../client/kernels/native/batch-split.js';
import { loadOneDnn, type ConvKindValue } from '../client/kernels/native/onednn.js';
import { registerNativeConvKernels, unregisterNativeConvKernels } from '../client/kernels/native/register.js';

interface Shape { name: string; h: number; ci: number; co: number; k: number; s: number }

/** Each distinct convolution of the ResNet with these widths on `side`-pixel inputs (stem stride `stem`). */
function resnetShapes(side: number, stem: 1 | 2, channels: number, widths: number[]): Shape[] {
  const out: Shape[] = [{ name: `stem ${side}x${side}x${channels}->${widths[0]} 3x3${stem === 2 ? ' s2' : ''}`, h: side, ci: channels, co: widths[0], k: 3, s: stem }];
  let h = Math.ceil(side / stem);
  widths.forEach((w, i) => {
    if (i > 0) {
      const ci = widths[i - 1];
      out.push({ name: `${h}x${h}x${ci}->${w} 3x3 s2`, h, ci, co: w, k: 3, s: 2 });
      out.push({ name: `${h}x${h}x${ci}->${w} 1x1 s2`, h, ci, co: w, k: 1, s: 2 });
      h = Math.ceil(h / 2);
    }
    out.push({ name: `${h}x${h}x${w}->${w} 3x3`, h, ci: w, co: w, k: 3, s: 1 });
  });
  return out;
}

const SHAPE_SETS: Record<string, Shape[]> = {
  small: resnetShapes(32, 1, 3, [16, 32, 64, 128]),
  resnet18: resnetShapes(32, 1, 3, [64, 128, 256, 512]),
  quickstart: resnetShapes(28, 2, 1, [16, 32, 64, 128]),
};

const batch = Number(process.argv[2] ?? 64);
const threads = Number(process.argv[3] ?? 1);
const setName = process.argv[4] ?? 'small';
const SHAPES = SHAPE_SETS[setName];
if (!SHAPES) throw new Error(`shape set: expected one of ${Object.keys(SHAPE_SETS).join(', ')}, got "${setName}"`);

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

  const splitting = threads > 1;
  const header = ['shape (batch ' + batch + ')', 'MFLOP', 'old fwd', 'old dW', 'old dx',
    'plain fwd', 'plain dW', 'plain dx', 'any fwd', 'any dW', 'any dx', 'wino fwd', 'wino dW', 'wino dx',
    ...(splitting ? ['split fwd', 'split dW', 'split dx', 'split/whole fwd,dW,dx'] : []),
    'best/old fwd,dW,dx', 'wino/any fwd,dW,dx', 'impl (any) fwd | dW | dx', 'impl (wino) fwd | dW | dx'];
  useBatchSplit('never'); // the columns before "split": oneDNN's own threading
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
    useWinogradConvolutions('wherever-possible');
    const winoG = names.map((n) => g(time(nat, n)));
    useWinogradConvolutions('where-faster');
    const wholeG = names.map((n) => g(time(nat, n)));
    useBatchSplit('always');
    const splitG = splitting ? names.map((n) => g(time(nat, n))) : [];
    useBatchSplit('never');
    useWinogradConvolutions('never');
    const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, sh.s, 1, 'same');
    const pb = Math.max(0, (info.outHeight - 1) * sh.s + sh.k - sh.h - info.padInfo.top);
    const p = new Int32Array([batch, sh.h, sh.h, sh.ci, sh.co, sh.k, sh.k, y.shape[1], y.shape[2], sh.s, sh.s,
      info.padInfo.top, info.padInfo.left, pb, pb, 1, 1, 1]);
    const implsWith = (flags: number): string => {
      p[p.length - 1] = flags;
      return ([0, 2, 1] as ConvKindValue[]).map((k) => addon.implName(k, p)).join(' | ');
    };
    const impls = implsWith(1);
    const winoImpls = implsWith(1 | WINOGRAD_FLAG);
    const best = names.map((_, i) => Math.max(byLayout.plain[i], byLayout.any[i]) / oldG[i]);
    const f = (v: number): string => v.toFixed(1);
    const ratios = (xs: number[]): string => xs.map((x) => `${x.toFixed(1)}x`).join(',');
    const splitCells = splitting ? [...splitG.map(f), ratios(splitG.map((v, i) => v / wholeG[i]))] : [];
    rows.push([sh.name, (flops / 1e6).toFixed(0), ...oldG.map(f), ...byLayout.plain.map(f), ...byLayout.any.map(f), ...winoG.map(f),
      ...splitCells, ratios(best), ratios(winoG.map((w, i) => w / byLayout.any[i])), impls, winoImpls]);
    tf.dispose([x, filter, y, dy]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i >= cells.length - 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ');
  console.log(`oneDNN ${addon.version()}, ${threads} thread(s); GFLOP/s (median); old = wasm XNNPack fwd + wasm-conv-grads.ts`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
