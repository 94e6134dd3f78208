/**
 * Loader for the optional oneDNN convolution addon (native/, built by
 * `node native/build.mjs`). Machines without it (no libdnnl, no build) get
 * `null` plus the reason, and keep the wasm kernels.
 *
 * `STREAMSSL_ONEDNN=0` disables the addon (A/B runs); `STREAMSSL_ONEDNN_ADDON`
 * points at another build of it. Sets `OMP_WAIT_POLICY=passive` and
 * `GOMP_SPINCOUNT` (see {@link WORKER_SPINS}) unless already set.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PROJECT_ROOT } from '../../../shared/code-location.js';

/** Convolution kinds, as the addon numbers them. */
export const ConvKind = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;
export type ConvKindValue = (typeof ConvKind)[keyof typeof ConvKind];

/** Length of the params vector: see {@link OneDnnAddon.conv}. */
export const PARAM_COUNT = 18;

/** The addon's exports (native/addon.cc). */
export interface OneDnnAddon {
  /**
   * One convolution, in place on the wasm heap. Forward: out = conv(A = x, B = w);
   * backward data: out = dx from (A = dy, B = w); backward weights: out = dW from
   * (A = x, B = dy). Offsets are byte offsets into `heap`; x/dx/y/dy are NHWC,
   * w/dW are [kh, kw, ci, co]. `params` is Int32Array
   * [N, H, W, Ci, Co, KH, KW, OH, OW, SH, SW, padTop, padLeft, padBottom, padRight, DH, DW, flags]
   * with flags bit 1 = oneDNN's blocked layouts plus reorders (else the plain tfjs layouts),
   * bit 2 = winograd where oneDNN has it for the geometry (else direct), bit 4 = with
   * several threads, one slice of the batch per thread (./batch-split.ts).
   * @throws on bad arguments or when oneDNN refuses the geometry.
   */
  conv(kind: ConvKindValue, heap: Uint8Array, offA: number, offB: number, offOut: number, params: Int32Array): void;
  /**
   * Batched matmul in place on the wasm heap: out[b] = op(A[b]) @ op(B[b]), row-major;
   * `params` is Int32Array [batchA, batchB, M, K, N, transposeA, transposeB], the batch
   * sizes equal or one of them 1 (broadcast).
   */
  matmul(heap: Uint8Array, offA: number, offB: number, offOut: number, params: Int32Array): void;
  /** out[a, c] = sum (mean when `mean` is 1) over r of in[a, r, c], float32 on the wasm heap. */
  reduce(heap: Uint8Array, offIn: number, offOut: number, a: number, r: number, c: number, mean: 0 | 1): void;
  /**
   * out = x (op) y, float32, broadcast: `params` is Int32Array [op, rank, dims[rank],
   * xStrides[rank], yStrides[rank]] (element strides, 0 along broadcast axes; rank <= 6);
   * op 0 add, 1 sub, 2 mul, 3 div, 5 x * step(y) (ReLU's gradient) (float32 out), 4 equal
   * (bool out, one byte each).
   */
  binary(heap: Uint8Array, offX: number, offY: number, offOut: number, params: Int32Array): void;
  /**
   * out[i] = op(x[i]) for `n` float32 values on the wasm heap, on the OpenMP threads:
   * op 0 relu, 1 step (`alpha` where x <= 0), 2 square, 3 rsqrt, 4 sqrt, 5 neg,
   * 6 fill (out[i] = alpha; x is not read).
   */
  unary(heap: Uint8Array, offX: number, offOut: number, n: number, op: number, alpha: number): void;
  /**
   * Training batch norm of x [groups, rows, channels] (float32 on the wasm heap):
   * per (group, channel) mean and biased variance ([groups, channels]), and
   * y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma, beta: [channels]).
   */
  batchNormForward(heap: Uint8Array, offX: number, offGamma: number, offBeta: number, offY: number, offMean: number,
    offVar: number, groups: number, rows: number, channels: number, eps: number): void;
  /** The gradient of {@link batchNormForward}'s y: dx, dgamma, dbeta from dy and the forward's x, mean, variance. */
  batchNormBackward(heap: Uint8Array, offDy: number, offX: number, offMean: number, offVar: number, offGamma: number,
    offDx: number, offDgamma: number, offDbeta: number, groups: number, rows: number, channels: number, eps: number): void;
  /**
   * {@link batchNormForward} followed by + residual (x's shape; offResidual -1 for none)
   * and ReLU, in its last pass: y = relu(batchNorm(x) + residual).
   */
  batchNormReluForward(heap: Uint8Array, offX: number, offGamma: number, offBeta: number, offY: number, offMean: number,
    offVar: number, offResidual: number, groups: number, rows: number, channels: number, eps: number): void;
  /**
   * The gradient of {@link batchNormReluForward} from its output y: dy masked by step(y),
   * then {@link batchNormBackward}; the masked dy also into offDresidual (-1 for none).
   */
  batchNormReluBackward(heap: Uint8Array, offDy: number, offX: number, offMean: number, offVar: number, offGamma: number,
    offDx: number, offDgamma: number, offDbeta: number, offY: number, offDresidual: number, groups: number, rows: number,
    channels: number, eps: number): void;
  /**
   * SGD with momentum for `n` float32 values: v' = momentum * v + (g + weightDecay * w),
   * w' = w - lr * v' (no decay term when weightDecay is 0), into offWOut / offVOut.
   */
  sgdMomentum(heap: Uint8Array, offW: number, offG: number, offV: number, offWOut: number, offVOut: number, n: number,
    lr: number, momentum: number, weightDecay: number): void;
  /** out = t * keep + q * take for `n` float32 values (keep and take rounded to float32 first). */
  movingAverage(heap: Uint8Array, offT: number, offQ: number, offOut: number, n: number, keep: number, take: number): void;
  /** oneDNN's implementation name for that convolution (creates and caches it). */
  implName(kind: ConvKindValue, params: Int32Array): string;
  /** OpenMP threads for the calling (main) thread's oneDNN primitives and element-wise loops. */
  setNumThreads(n: number): void;
  maxThreads(): number;
  /** oneDNN version, e.g. "2.6.3". */
  version(): string;
  /** Number of cached primitives. */
  cacheSize(): number;
  clearCache(): void;
}

export type LoadResult = { addon: OneDnnAddon; path: string } | { addon: null; reason: string };

const DEFAULT_PATH = join(PROJECT_ROOT, 'native/build/Release/onednn_conv.node');

/**
 * How long an idle OpenMP worker spins before it sleeps, in libgomp's busy-wait
 * iterations: about 0.2 ms on this project's Intel VM (11 ns per iteration). A step's
 * kernels follow each other within tens of microseconds of JavaScript, and waking a
 * sleeping worker there cost about 70 us per parallel loop (a batch norm's forward on
 * [4, 16384, 16]: 546-562 us on two threads with sleeping workers, 346-372 with
 * spinning ones, 648-683 on one). In the bench's training loop on two threads,
 * alternating: 528-541 img/s against 476-493 (small widths), 71.8-72.2 against
 * 67.4-68.5 (ResNet-18 widths). libgomp's own default spins 15 times as long, which
 * starved what ran between the kernels when that was wasm (see below); passive
 * waiting alone spins not at all.
 */
export const WORKER_SPINS = 20_000;

let cached: LoadResult | undefined;

/** Loads the addon once per process; later calls return the same outcome. */
export function loadOneDnn(): LoadResult {
  cached ??= tryLoad();
  return cached;
}

function tryLoad(): LoadResult {
  if (process.env.STREAMSSL_ONEDNN === '0') return { addon: null, reason: 'disabled by STREAMSSL_ONEDNN=0' };
  const path = process.env.STREAMSSL_ONEDNN_ADDON || DEFAULT_PATH;
  if (!existsSync(path)) {
    return { addon: null, reason: `oneDNN addon not built (${path} missing; run \`node native/build.mjs\`)` };
  }
  try {
    // libgomp reads these when it loads (with the addon). Its default lets idle
    // OpenMP workers spin for milliseconds after every convolution, which took the
    // core the wasm kernels between convolutions needed when those were wasm: 2
    // threads ran at a third of 1 thread. Passive waiting with a short spin keeps
    // the worker awake between a step's kernels only.
    process.env.OMP_WAIT_POLICY ??= 'passive';
    process.env.GOMP_SPINCOUNT ??= String(WORKER_SPINS);
    const addon = createRequire(import.meta.url)(path) as OneDnnAddon;
    addon.version(); // fails fast if libdnnl went missing after the build
    return { addon, path };
  } catch (err) {
    const msg = ((err as Error).message ?? String(err)).split('\n')[0];
    return { addon: null, reason: `oneDNN addon failed to load: ${msg}` };
  }
}
