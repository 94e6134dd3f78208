/**
 * How a run's states and replay buffers travel (the scenario's `transfer`, carried to the
 * clients in each task): the numbers' encoding and the compression of the bytes. Both
 * opt-in; the default is today's bytes, float32 and uncompressed.
 */
import { z } from 'zod';

/** `float32`: the state's own bytes. `float16`: its float32 arrays as IEEE binary16 in transit (./state-float16.ts). */
export const WIRE_ENCODINGS = ['float32', 'float16'] as const;
export type WireEncoding = (typeof WIRE_ENCODINGS)[number];
/** `deflate`: lossless compression of the wire bytes (node:zlib). */
export const WIRE_COMPRESSIONS = ['none', 'deflate'] as const;
export type WireCompression = (typeof WIRE_COMPRESSIONS)[number];

export const transferSchema = z.strictObject({
  /**
   * `float16` halves the bytes of a state's float32 arrays in transit; the receiver expands
   * them to float32 before anything computes with them. Positions (MoCo's queue pointer),
   * MAS/EWC importances and arrays with values beyond float16's range stay float32.
   * Checkpoints, the journal and resume stay float32. Replay buffers are not affected.
   */
  encoding: z.enum(WIRE_ENCODINGS).default('float32'),
  /** `deflate` compresses every state and replay buffer in transit, losslessly. */
  compression: z.enum(WIRE_COMPRESSIONS).default('none'),
});

export type TransferSpec = z.output<typeof transferSchema>;

/** Today's bytes: float32, uncompressed. */
export const DEFAULT_TRANSFER: TransferSpec = { encoding: 'float32', compression: 'none' };

/** `float16+deflate`, `float32` (the default compression left out): how benches and logs name a spec. */
export function transferLabel(spec: TransferSpec): string {
  return spec.compression === 'none' ? spec.encoding : `${spec.encoding}+${spec.compression}`;
}

/** The spec a label names (`float16+deflate`, `float32`: the inverse of `transferLabel`), or null. */
export function parseTransferLabel(label: string): TransferSpec | null {
  const [encoding, compression = 'none', ...rest] = label.trim().split('+');
  const e = WIRE_ENCODINGS.find((x) => x === encoding);
  const c = WIRE_COMPRESSIONS.find((x) => x === compression);
  return e && c && rest.length === 0 ? { encoding: e, compression: c } : null;
}

/**
 * The `transfer` field of a task for a run's spec: absent for the default, so that tasks
 * (and the journal's copies of them) of runs that do not opt in stay as they were.
 */
export function taskTransfer(spec: TransferSpec): { transfer?: TransferSpec } {
  return isPlainTransfer(spec) ? {} : { transfer: spec };
}

/** Whether `spec` leaves the bytes as they are (float32, uncompressed). */
export function isPlainTransfer(spec: TransferSpec | undefined): boolean {
  return !spec || (spec.encoding === 'float32' && spec.compression === 'none');
}
