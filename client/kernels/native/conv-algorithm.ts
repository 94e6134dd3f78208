/**
 * Which algorithm oneDNN convolutions ask for: direct, or winograd.
 *
 * Winograd F(4x4, 3x3) computes a 3x3, stride-1 convolution with fewer
 * multiplications, at the price of a transform of each tile and another
 * float32 rounding (against the tfjs cpu backend: errors of 0.6-2.6e-6 of the
 * largest value, where direct's are 0.3-1.6e-6; test/client/kernels/
 * native-winograd.test.ts). So it
 * is a scenario's choice (`model.convolutions`), off unless asked for.
 *
 * When asked for, it is used where it was measured faster than direct
 * (bench/native-conv.ts --shapes all: oneDNN 2.6, AVX-512, one thread,
 * batches 32-128, all three kernels): 3x3, stride 1, at least 32 input and
 * output channels and an output of at least 4x4. Below that (16 channels at
 * 14x14 or 32x32, or a 2x2 output, where most of a 4x4 tile is padding) it
 * ran at 0.4-0.7x direct. Where oneDNN has no winograd kernel (other ISAs),
 * the addon builds the direct one instead.
 *
 * `wherever-possible` skips the measured rule (for the bench that measures it).
 */
import type { ConvKindValue } from './onednn.js';

export const WINOGRAD_USES = ['never', 'where-faster', 'wherever-possible'] as const;
export type WinogradUse = (typeof WINOGRAD_USES)[number];

/** The flag bit of the params vector's last element (native/conv.cc). */
export const WINOGRAD_FLAG = 2;
const MIN_CHANNELS = 32;
const MIN_OUTPUT_SIDE = 4;

let use: WinogradUse = 'never';

/** Sets the algorithm of every later convolution (trainer: per stage). */
export function useWinogradConvolutions(mode: WinogradUse): void {
  use = mode;
}

export function winogradUse(): WinogradUse {
  return use;
}

/** Whether oneDNN has a winograd kernel for this geometry at all (as of 2.6: 3x3, stride 1, no dilation). */
function winogradShape(p: Int32Array): boolean {
  const [, , , , , kh, kw, , , sh, sw] = p;
  return kh === 3 && kw === 3 && sh === 1 && sw === 1 && p[15] === 1 && p[16] === 1;
}

/**
 * The winograd bit for a params vector (see onednn.ts): set when asked for and the
 * geometry qualifies. The same for all three kinds of a convolution: the rule was
 * measured per kind, and the three agreed.
 */
export function winogradFlag(_kind: ConvKindValue, p: Int32Array): 0 | typeof WINOGRAD_FLAG {
  if (use === 'never' || !winogradShape(p)) return 0;
  if (use === 'wherever-possible') return WINOGRAD_FLAG;
  const [, , , ci, co, , , oh, ow] = p;
  const faster = ci >= MIN_CHANNELS && co >= MIN_CHANNELS && oh >= MIN_OUTPUT_SIDE && ow >= MIN_OUTPUT_SIDE;
  return faster ? WINOGRAD_FLAG : 0;
}
