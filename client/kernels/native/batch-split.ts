/**
 * Whether a oneDNN convolution on several threads splits its batch: one slice per
 * thread, each a one-thread convolution (native/conv.cc, `RunSplit`), instead of one
 * convolution that oneDNN spreads over the threads itself. oneDNN's own split of the
 * small models' convolutions gained 1.0-1.7x from a second thread (bench/native-conv.ts,
 * batch 64, the bench's small widths), where two independent one-thread copies of the
 * whole step gain 1.7-1.8x here (`streamssl bench`'s copies).
 *
 * Each slice reads all the weights, so the split pays where they are small: on two
 * threads (bench/native-conv.ts's split columns), the shapes of the quickstart and of
 * the bench's small widths ran 1.0-2.6x as fast split (exceptions: the quickstart stem's
 * 1 KB weight gradient at 0.62x, one 1x1 weight gradient at 0.94x, both under 0.1 ms),
 * while the ResNet-18 widths' layers with 2.3 MB of
 * weights or more ran 0.4-0.97x as fast: oneDNN splits those over output channels,
 * each thread reading half the weights. Layers up to 1 MiB of weights are split.
 *
 * The forward and the data gradient are the same bits as on one thread (a sample's
 * outputs do not depend on the rest of its batch); the weight gradient adds the slices'
 * partial sums in slice order, so it moves in the last bits with the thread count, as
 * oneDNN's own split moves it. One thread, or a batch of one, runs unsplit.
 *
 * `STREAMSSL_ONEDNN_BATCH_SPLIT=0` turns it off (A/B runs).
 */
/** never; where-faster: up to MAX_SPLIT_WEIGHT_BYTES of weights (the default); always. */
export const BATCH_SPLIT_USES = ['never', 'where-faster', 'always'] as const;
export type BatchSplitUse = (typeof BATCH_SPLIT_USES)[number];

/** The flag bit of the params vector's last element (native/conv.cc). */
export const BATCH_SPLIT_FLAG = 4;

let use: BatchSplitUse = process.env.STREAMSSL_ONEDNN_BATCH_SPLIT === '0' ? 'never' : 'where-faster';

/** How every later convolution's batch is split over the threads ('always': bench/native-conv.ts's columns). */
export function useBatchSplit(mode: BatchSplitUse): void {
  use = mode;
}

/** Largest weight tensor whose convolutions are split (see above). */
export const MAX_SPLIT_WEIGHT_BYTES = 1 << 20;

/** The batch-split bit for a params vector (see onednn.ts): [N, H, W, Ci, Co, KH, KW, ...]. */
export function batchSplitFlag(p: Int32Array): 0 | typeof BATCH_SPLIT_FLAG {
  if (use !== 'where-faster') return use === 'always' ? BATCH_SPLIT_FLAG : 0;
  const weightBytes = p[5] * p[6] * p[3] * p[4] * 4;
  return weightBytes <= MAX_SPLIT_WEIGHT_BYTES ? BATCH_SPLIT_FLAG : 0;
}
