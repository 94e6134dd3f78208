/**
 * Which memory layout a oneDNN convolution runs on: 0 = the plain tfjs
 * layouts (NHWC / HWIO) directly, 1 = oneDNN's preferred blocked layouts with
 * reorders around the primitive. Measured with bench/native-conv.ts (oneDNN
 * 2.6, AVX-512, one thread, batch 64, ResNet shapes): on plain NHWC oneDNN 2.6
 * only has its gemm-based convolutions (~25-180 GFLOP/s), blocked layouts get
 * the direct JIT kernels (~70-340 GFLOP/s) and won for every shape and all
 * three kernels, reorders included (one-block activations, C = 8 / 16, skip
 * them: see native/conv.cc). So: blocked, unless forced.
 *
 * `STREAMSSL_ONEDNN_LAYOUT=plain|any` forces one (A/B runs).
 */
import type { ConvKindValue } from './onednn.js';

export type LayoutOverride = 'plain' | 'any' | undefined;

function fromEnv(): LayoutOverride {
  const v = process.env.STREAMSSL_ONEDNN_LAYOUT;
  return v === 'plain' || v === 'any' ? v : undefined;
}

let override: LayoutOverride = fromEnv();

/** Force a layout for every later convolution (undefined: the measured rule). */
export function setLayoutOverride(mode: LayoutOverride): void {
  override = mode;
}

/** Layout flag for the params vector (see onednn.ts). */
export function chooseLayout(_kind: ConvKindValue, _params: Int32Array): 0 | 1 {
  return override === 'plain' ? 0 : 1;
}
