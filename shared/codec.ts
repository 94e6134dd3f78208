/**
 * Binary encoding of model state, replay samples and anything else that travels as bytes.
 * This is the only file that touches msgpackr, so the wire format can change in one place.
 * A value that holds typed arrays is a msgpack header plus its arrays' bytes, aligned
 * (./array-section.ts); bytes of plain msgpack (as every state was before) still decode.
 */
import { addExtension, Packr } from 'msgpackr';
import { servesSize } from './buffer-shelf.js';
import { ARRAY_REF_EXTENSION, ArrayRef, assembleSection, isSection, refPayload, SectionReader, splitArrays, type SplitValue } from './array-section.js';
import { DEFAULT_DECODE_LIMITS, scanMsgpack, ScanError, type DecodeLimits } from './msgpack-scan.js';

export { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './msgpack-scan.js';

/** Bytes that could not be decoded (truncated, corrupted, or not produced by `encode`). */
export class CodecError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
  }
}

const packr = new Packr({
  // Records would make the bytes depend on which structures this process saw first.
  useRecords: false,
  // Typed arrays (Float32Array weights) and Set keep their types across the wire.
  moreTypes: true,
  // Decoded Uint8Arrays must not pin (or alias) the whole received blob.
  copyBuffers: true,
});

/** The section whose header is being decoded: references read their arrays from it (decoding is synchronous). */
let reading: SectionReader | null = null;

addExtension({
  Class: ArrayRef,
  type: ARRAY_REF_EXTENSION,
  pack: (ref: ArrayRef) => refPayload(ref),
  unpack: (payload: Uint8Array) => {
    if (!reading) throw new Error('an array reference outside an array section');
    return reading.array(payload);
  },
});

/**
 * msgpackr writes into one buffer it keeps for the next value, and returns a view of it:
 * when it encoded a model state whole (10.5 MB for the quickstart's), that buffer held
 * 16 MB for the rest of the process, through the next task's training peak. A state's
 * arrays now go into its section instead; a value this large without typed arrays still
 * leaves msgpackr a fresh small buffer, so the large one lives only as long as its bytes.
 */
const KEEP_BUFFER_BELOW = 1 << 20;

export interface EncodeOptions {
  /**
   * Memory a value holding typed arrays may be written into instead of fresh memory (a
   * fresh buffer's pages fault on first write, see ./buffer-shelf.ts): used when the value
   * fills between half and all of it and none of the value's arrays lies in it. The caller
   * gives memory nothing reads any more (e.g. the state a task was handed, once trained).
   */
  into?: Uint8Array;
}

/**
 * Encodes a value (plain objects, arrays, numbers, strings, typed arrays, Set) to bytes.
 * A `Map` comes back as a plain object: use objects for state.
 */
export function encode(value: unknown, options: EncodeOptions = {}): Uint8Array {
  try {
    const split = splitArrays(value);
    // Typed arrays go into the section, so the header msgpackr writes stays small.
    if (split) return assembleSection(packr.pack(split.header), split, (size) => reusable(options.into, size, split) ?? new Uint8Array(size));
    const bytes = packr.pack(value);
    // A Node Buffer: msgpackr writes strings with Buffer's utf8Write.
    if (bytes.byteLength >= KEEP_BUFFER_BELOW) packr.useBuffer(Buffer.allocUnsafeSlow(8192));
    return bytes;
  } catch (err) {
    throw new CodecError(`cannot encode value: ${(err as Error).message}`, { cause: err });
  }
}

/** `into`'s first `size` bytes, when they may hold the encoding of `split` (see `EncodeOptions.into`). */
function reusable(into: Uint8Array | undefined, size: number, split: SplitValue): Uint8Array | null {
  if (!into || !servesSize(into.byteLength, size)) return null;
  return split.arrays.some((array) => array.buffer === into.buffer) ? null : into.subarray(0, size);
}

export interface DecodeOptions {
  limits?: DecodeLimits;
  /**
   * Typed arrays as views on `bytes` (where aligned) instead of copies: for a caller that
   * keeps `bytes` unchanged for as long as it reads the value. The copies are the
   * default, so that a small decoded array never pins a large blob.
   */
  inPlace?: boolean;
}

/**
 * Decodes bytes made by `encode`; throws `CodecError` on empty, truncated or corrupt input,
 * and on input that would decode to more items or deeper nesting than `limits` allow:
 * bytes a peer sent are walked first (./msgpack-scan.ts), so that a small blob cannot
 * decode to a structure that exhausts the heap.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(`cannot decode: expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.byteLength === 0) throw new CodecError('cannot decode: input is empty');
  let section: SectionReader | null = null;
  let msgpack = bytes;
  try {
    if (isSection(bytes)) {
      section = new SectionReader(bytes, options.inPlace ?? false);
      msgpack = section.header;
    }
    scanMsgpack(msgpack, options.limits ?? DEFAULT_DECODE_LIMITS);
  } catch (err) {
    const why = err instanceof ScanError && err.limit ? 'beyond the decode limits' : 'corrupt or truncated data';
    throw new CodecError(`cannot decode ${bytes.byteLength} bytes (${why}): ${(err as Error).message}`, { cause: err });
  }
  try {
    reading = section;
    const value = packr.unpack(msgpack);
    section?.finish();
    return value;
  } catch (err) {
    throw new CodecError(`cannot decode ${bytes.byteLength} bytes (corrupt or truncated data): ${(err as Error).message}`, { cause: err });
  } finally {
    reading = null;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
