/**
 * Pure index math for expressing the two Conv2D gradients as *forward*
 * convolutions. Everything here is per spatial axis (rows or columns are
 * independent in a 2-D convolution), uses no tensors, and is shared by the
 * wasm kernels in `wasm-conv-grads.ts`.
 *
 * Notation for one axis of the forward convolution (dilation 1):
 *
 *   H   input size            Ho  output size (dy size)
 *   k   filter size           s   stride
 *   pt  padding before the input (top / left) as tfjs computes it
 *
 *   y[i] = sum_{p=0..k-1} xpad[s*i + p] * W[p],   xpad[u] = x[u - pt]
 *
 * (zero outside 0..H-1). Channels and batch are left out: they ride along.
 *
 * Both plans end in the same "window" question: "I need source indices
 * lo..hi (inclusive, possibly outside 0..n-1, where anything outside is an
 * implicit zero); which part do I slice and how much do I zero-pad?". That is
 * {@link windowOf}: negative pads become slices, positive ones become the
 * explicit padding of the forward convolution, so no Pad kernel is needed.
 */

/** Which part of a source axis to slice and how much to zero-pad around it. */
export interface AxisWindow {
  /** First source index kept. */
  sliceBegin: number;
  /** Number of source indices kept (<= 0 means nothing of the source is used). */
  sliceSize: number;
  /** Zeros to add before the slice (explicit conv padding). */
  padBefore: number;
  /** Zeros to add after the slice (explicit conv padding). */
  padAfter: number;
}

/**
 * Window covering source indices `lo..hi` (inclusive) of an axis of size `n`.
 * Indices outside `0..n-1` are zeros, so they become padding; the in-range
 * part becomes a slice. Invariant: padBefore + sliceSize + padAfter = hi-lo+1
 * whenever sliceSize > 0.
 */
export function windowOf(lo: number, hi: number, n: number): AxisWindow {
  const sliceBegin = Math.max(0, lo);
  const sliceEnd = Math.min(n - 1, hi);
  return {
    sliceBegin,
    sliceSize: sliceEnd - sliceBegin + 1,
    padBefore: sliceBegin - lo,
    padAfter: hi - sliceEnd,
  };
}

/**
 * Filter gradient, one axis.
 *
 *   dW[p] = sum_i xpad[s*i + p] * dy[i]
 *
 * Read as a forward convolution whose *image* is xpad and whose *filter* is
 * dy, with the filter taps spaced s apart (filter dilation = s), stride 1:
 *
 *   out[p] = sum_i img[p + s*i] * F[i]    with img = xpad, F = dy.
 *
 * Its output length is len(img) - ((Ho-1)*s + 1) + 1, so to get exactly k
 * outputs the image must be xpad[0 .. (Ho-1)*s + k - 1], i.e. the x indices
 * -pt .. (Ho-1)*s + k - 1 - pt. Indices below 0 / above H-1 are padding
 * (or, if the forward conv never read some trailing rows — 'valid' with
 * leftovers — the slice simply drops them).
 */
export function planFilterGradAxis(
  inSize: number, outSize: number, k: number, s: number, padBefore: number,
): AxisWindow {
  const extent = (outSize - 1) * s + k;
  return windowOf(-padBefore, extent - 1 - padBefore, inSize);
}

/** One polyphase component of the input gradient along one axis. */
export interface InputGradPhase extends AxisWindow {
  /** dx indices r with r % s === residue are produced by this phase. */
  residue: number;
  /** Number of filter taps used by this phase (0: the phase is all zeros). */
  taps: number;
  /**
   * First tap, as an index into the spatially *flipped* filter; the phase's
   * taps are flipped[tapStart + s*m'] for m' = 0..taps-1.
   */
  tapStart: number;
}

/** Per-axis plan for the input gradient: one phase per residue mod s. */
export interface InputGradAxisPlan {
  /** Rows produced by every phase (= ceil(H/s)); extra rows are cropped. */
  perPhase: number;
  phases: InputGradPhase[];
}

/**
 * Input gradient, one axis, as s stride-1 forward convolutions
 * ("polyphase" / sub-pixel decomposition of the transposed convolution).
 *
 *   dx[r] = sum_{i,p : s*i + p = r + pt} dy[i] * W[p]
 *
 * For a given r only taps with p ≡ (r + pt) (mod s) contribute. Call that
 * phase φ; its taps are p = φ + s*m for m = 0..M-1, M = ceil((k-φ)/s), and
 * then i = r' - m with r' = (r + pt - φ) / s (an exact integer). So
 *
 *   dx[r] = sum_m dy[r' - m] * W[φ + s*m]
 *         = sum_{m'} dy[r' - (M-1) + m'] * W[φ + s*(M-1-m')]      (m' = M-1-m)
 *
 * which is a plain stride-1 correlation of dy with the reversed sub-filter.
 * In the flipped filter Wf[f] = W[k-1-f] that sub-filter is
 * Wf[tapStart + s*m'] with tapStart = k-1-φ-s*(M-1), i.e. a strided slice.
 *
 * We group dx by residue ρ = r mod s (so outputs interleave back with a
 * reshape/transpose): r = ρ + s*j, j = 0..perPhase-1, φ = (ρ + pt) mod s and
 * r' = r'min + j with r'min = (ρ + pt - φ)/s >= 0. Output j reads dy indices
 * r'min + j - (M-1) .. r'min + j, so the whole phase needs dy indices
 * lo = r'min - (M-1) .. hi = r'min + perPhase - 1, handled by {@link windowOf}.
 * Rows with j beyond the true count (r >= H) are computed and cropped later;
 * that keeps every phase the same shape.
 */
export function planInputGradAxis(
  inSize: number, outSize: number, k: number, s: number, padBefore: number,
): InputGradAxisPlan {
  const perPhase = Math.ceil(inSize / s);
  const phases: InputGradPhase[] = [];
  for (let residue = 0; residue < s; residue++) {
    const phi = (residue + padBefore) % s;
    const taps = phi < k ? Math.ceil((k - phi) / s) : 0;
    const rMin = (residue + padBefore - phi) / s;
    const tapStart = taps > 0 ? k - 1 - phi - s * (taps - 1) : 0;
    const win = windowOf(rMin - (taps - 1), rMin + perPhase - 1, outSize);
    phases.push({ residue, taps, tapStart, ...win });
  }
  return { perPhase, phases };
}
