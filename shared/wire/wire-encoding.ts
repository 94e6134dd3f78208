/**
 * Wire bytes of a state or replay blob, per the run's transfer spec (./transfer-spec.ts),
 * and back. float32 without compression is today's bytes, unchanged; anything else starts
 * with a 12-byte header that says what follows, so a receiver knows what it got and refuses
 * what it cannot read, naming the blob:
 *
 *   0xc1 'S' 'S' 'W' | version u8 (1) | encoding u8 | compression u8 | 0 u8 | payload bytes u32 LE
 *
 * 0xc1 is a byte msgpack never uses, so headed bytes cannot be mistaken for a plain state:
 * a state in an array section (../array-section.ts) starts with 0xc1 too, then its version
 * (1), never 'S'.
 * The payload is the state's msgpack (float32), or its float16 payload (./state-float16.ts);
 * "payload bytes" is its length before compression. A receiver refuses a declared length
 * beyond what it expects before allocating anything, and inflates with that length as a
 * hard bound, so a small deflate bomb cannot expand into gigabytes.
 *
 * float16 applies to model states only: a replay buffer's samples travel as they are
 * (compressed when the spec says so).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import type { ModelState } from '../state/model-state.js';
import { expandState, halveState } from './state-float16.js';
import { isPlainTransfer, transferLabel, WIRE_COMPRESSIONS, WIRE_ENCODINGS, type TransferSpec } from './transfer-spec.js';

const MAGIC = [0xc1, 0x53, 0x53, 0x57] as const;
/** The header's version; bumped when the layout or a payload changes incompatibly. */
export const WIRE_VERSION = 1;
export const WIRE_HEADER_BYTES = 12;
/** zlib level: see README ("Lighter transfers") for the bytes and seconds it was chosen by. */
export const DEFLATE_LEVEL = 1;

/** What a blob carries: float16 applies to states only. */
export type BlobKind = 'state' | 'replay';

/** Wire bytes that cannot be read as the spec says; the message names the blob. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

/** The spec as it applies to a blob of `kind`. */
export function effectiveTransfer(spec: TransferSpec, kind: BlobKind): TransferSpec {
  return kind === 'state' ? spec : { encoding: 'float32', compression: spec.compression };
}

/** What an encoder may be given beside the bytes it encodes. */
export interface EncodeWireOptions {
  /** The state the bytes hold, when the caller has it decoded (see `halveState`). */
  decoded?: ModelState;
  /** Memory a float16 payload may be written into instead of fresh memory, when it serves the payload's size. */
  into?: Uint8Array;
}

/** The wire bytes of float32 `bytes` (a state's or a replay buffer's) under `spec`. */
export function encodeWire(bytes: Uint8Array, spec: TransferSpec, kind: BlobKind, o: EncodeWireOptions = {}): Uint8Array {
  const applied = effectiveTransfer(spec, kind);
  if (isPlainTransfer(applied)) return bytes;
  const payload = applied.encoding === 'float16' ? halveState(bytes, o.decoded, o.into) : bytes;
  const body = applied.compression === 'deflate' ? deflateSync(payload, { level: DEFLATE_LEVEL }) : payload;
  const out = new Uint8Array(WIRE_HEADER_BYTES + body.byteLength);
  out.set(MAGIC, 0);
  out[4] = WIRE_VERSION;
  out[5] = WIRE_ENCODINGS.indexOf(applied.encoding);
  out[6] = WIRE_COMPRESSIONS.indexOf(applied.compression);
  new DataView(out.buffer).setUint32(8, payload.byteLength, true);
  out.set(body, WIRE_HEADER_BYTES);
  return out;
}

/**
 * Most wire bytes a float32 blob of at most `maxBytes` bytes can take under `spec`: what a
 * receiver may refuse an upload by before its first byte. A float16 payload is never larger
 * than the float32 state it halves (the same fields, each array as long or half as long;
 * `FRAMING_SLACK` covers a few bytes of msgpack framing more); deflate may grow
 * incompressible bytes by zlib's bound (5 bytes per 16 KiB stored block, and its header).
 */
export function maxWireBytes(maxBytes: number, spec: TransferSpec, kind: BlobKind): number {
  const applied = effectiveTransfer(spec, kind);
  if (isPlainTransfer(applied)) return maxBytes;
  const payload = applied.encoding === 'float16' ? maxBytes + FRAMING_SLACK : maxBytes;
  const body = applied.compression === 'deflate' ? payload + 5 * Math.ceil(payload / 16_384) + 64 : payload;
  return WIRE_HEADER_BYTES + body;
}

/** Bytes of msgpack framing a float16 payload may have beyond its float32 state (see `maxWireBytes`). */
const FRAMING_SLACK = 4096;

/**
 * About how many wire bytes a float32 blob of `bytes` bytes takes under `spec`, when that is
 * known before it is encoded: memory readied for a blob to come is sized by it (a receiver
 * gets it into pages mapped already only when it fits). Plain: the bytes themselves.
 * float16: half of them, for a state whose arrays all halve (its msgpack framing, written
 * once for either encoding, is what makes a payload a little more than half: a few KiB per
 * hundred arrays, which `HALF_FRAMING_ROOM` covers); a state that keeps arrays in float32
 * (positions, a regularizer's weights) takes more and lands in fresh memory. Compressed:
 * unknown (undefined) until compressed.
 */
export function expectedWireBytes(bytes: number, spec: TransferSpec, kind: BlobKind): number | undefined {
  const applied = effectiveTransfer(spec, kind);
  if (isPlainTransfer(applied)) return bytes;
  if (applied.compression !== 'none') return undefined;
  return applied.encoding === 'float16' ? Math.min(WIRE_HEADER_BYTES + Math.ceil(bytes / 2) + HALF_FRAMING_ROOM, maxWireBytes(bytes, spec, kind)) : WIRE_HEADER_BYTES + bytes;
}

/** Room for a float16 payload's framing beyond half of its float32 state (see `expectedWireBytes`). */
const HALF_FRAMING_ROOM = 64 << 10;

export interface DecodeWireOptions {
  kind: BlobKind;
  /** Names the blob in errors, e.g. `state blob 1f0c… of task relay:stage-2`. */
  what: string;
  /** Largest decoded (float32) blob the receiver accepts: it bounds the declared payload and its inflation. */
  maxBytes: number;
  /** Memory a float16 state may be expanded into instead of fresh memory, when it serves the state's size. */
  into?: Uint8Array;
}

/** The float32 bytes of wire bytes `wire` sent under `spec`; throws `WireError` naming the blob. */
export function decodeWire(wire: Uint8Array, spec: TransferSpec, o: DecodeWireOptions): Uint8Array {
  return decodeWireValue(wire, spec, o).bytes;
}

/** What `decodeWireValue` gives: the float32 bytes, and their decoded value when decoding had to make it anyway (float16). */
export interface DecodedWire {
  bytes: Uint8Array;
  decoded?: Record<string, unknown>;
}

/** `decodeWire`, with the decoded value of the bytes where it was made on the way (float16 states). */
export function decodeWireValue(wire: Uint8Array, spec: TransferSpec, o: DecodeWireOptions): DecodedWire {
  const applied = effectiveTransfer(spec, o.kind);
  const fail = (why: string) => new WireError(`${o.what}: ${why}`);
  const headed = wire.byteLength >= MAGIC.length && MAGIC.every((b, i) => wire[i] === b);
  if (isPlainTransfer(applied)) {
    if (headed) throw fail(`is wire-encoded, but the run sends it as plain float32 (${wire.byteLength} bytes)`);
    return { bytes: wire };
  }
  if (!headed) throw fail(`has no wire header: expected ${transferLabel(applied)} bytes, got ${wire.byteLength} bytes of something else`);
  if (wire.byteLength < WIRE_HEADER_BYTES) throw fail(`truncated wire header (${wire.byteLength} of ${WIRE_HEADER_BYTES} bytes)`);
  if (wire[4] !== WIRE_VERSION) throw fail(`wire format version ${wire[4]} is not supported (this side reads version ${WIRE_VERSION})`);
  const encoding = WIRE_ENCODINGS[wire[5]];
  const compression = WIRE_COMPRESSIONS[wire[6]];
  if (encoding === undefined) throw fail(`unknown encoding ${wire[5]} in the wire header (known: ${WIRE_ENCODINGS.map((e, i) => `${i} ${e}`).join(', ')})`);
  if (compression === undefined) throw fail(`unknown compression ${wire[6]} in the wire header (known: ${WIRE_COMPRESSIONS.map((c, i) => `${i} ${c}`).join(', ')})`);
  if (wire[7] !== 0) throw fail(`malformed wire header (reserved byte is ${wire[7]})`);
  const got = { encoding, compression };
  if (encoding !== applied.encoding || compression !== applied.compression) throw fail(`is encoded ${transferLabel(got)}, the run sends it as ${transferLabel(applied)}`);
  const declared = new DataView(wire.buffer, wire.byteOffset, wire.byteLength).getUint32(8, true);
  if (declared > o.maxBytes) throw fail(`declares ${declared} payload bytes, more than the ${o.maxBytes} it may hold`);
  const body = wire.subarray(WIRE_HEADER_BYTES);
  const payload = compression === 'deflate' ? inflate(body, declared, fail) : body;
  if (payload.byteLength !== declared) throw fail(`declares ${declared} payload bytes, but ${compression === 'deflate' ? 'inflates to' : 'carries'} ${payload.byteLength}`);
  if (encoding === 'float32') return { bytes: payload }; // deflated: float32 without compression returned above
  let expanded: DecodedWire;
  try {
    expanded = expandState(payload, o.into);
  } catch (err) {
    throw fail(`float16 payload cannot be read: ${(err as Error).message}`);
  }
  if (expanded.bytes.byteLength > o.maxBytes) throw fail(`expands to ${expanded.bytes.byteLength} bytes, more than the ${o.maxBytes} it may hold`);
  return expanded;
}

/** `body` inflated, at most `declared` bytes of it: a stream that inflates further is refused. */
function inflate(body: Uint8Array, declared: number, fail: (why: string) => WireError): Uint8Array {
  try {
    // One byte of room: a stream that fills it holds more than it declared.
    const out = inflateSync(body, { maxOutputLength: declared + 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw fail(`inflates beyond its declared ${declared} payload bytes (a deflate bomb?): refused`);
    throw fail(`does not inflate (corrupt deflate data): ${e.message}`);
  }
}
