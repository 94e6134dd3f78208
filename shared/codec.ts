/**
 * Binary encoding of model state, replay samples and anything else that travels as bytes.
 * This is the only file that touches msgpackr, so the wire format can change in one place.
 */
import { Packr } from 'msgpackr';
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

/**
 * msgpackr writes into one buffer it keeps for the next value, and returns a view of it:
 * after a model state (10.5 MB for the quickstart's) that buffer held 16 MB for the rest
 * of the process, through the next task's training peak. After a value this large it is
 * given a fresh small buffer, so the large one lives only as long as the bytes returned.
 */
const KEEP_BUFFER_BELOW = 1 << 20;

/**
 * Encodes a value (plain objects, arrays, numbers, strings, typed arrays, Set) to bytes.
 * A `Map` comes back as a plain object: use objects for state.
 */
export function encode(value: unknown): Uint8Array {
  try {
    const bytes = packr.pack(value);
    // A Node Buffer: msgpackr writes strings with Buffer's utf8Write.
    if (bytes.byteLength >= KEEP_BUFFER_BELOW) packr.useBuffer(Buffer.allocUnsafeSlow(8192));
    return bytes;
  } catch (err) {
    throw new CodecError(`cannot encode value: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Decodes bytes made by `encode`; throws `CodecError` on empty, truncated or corrupt input,
 * and on input that would decode to more items or deeper nesting than `limits` allow:
 * bytes a peer sent are walked first (./msgpack-scan.ts), so that a small blob cannot
 * decode to a structure that exhausts the heap.
 */
export function decode(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(`cannot decode: expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.byteLength === 0) throw new CodecError('cannot decode: input is empty');
  try {
    scanMsgpack(bytes, limits);
  } catch (err) {
    const why = err instanceof ScanError && err.limit ? 'beyond the decode limits' : 'corrupt or truncated data';
    throw new CodecError(`cannot decode ${bytes.byteLength} bytes (${why}): ${(err as Error).message}`, { cause: err });
  }
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new CodecError(`cannot decode ${bytes.byteLength} bytes (corrupt or truncated data): ${(err as Error).message}`, { cause: err });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
