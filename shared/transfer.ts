/**
 * Chunked blob transfer over socket.io, in either direction.
 *
 * A 45 MB model state does not fit one socket.io message under the default
 * `maxHttpBufferSize` (1e6 bytes), so the sender cuts it into chunks. It keeps up to a
 * window of chunks in flight (default 8 x 512 KiB = 4 MiB), each acknowledged by the
 * receiver, in order: waiting a round trip per chunk would leave a link with any latency
 * mostly idle, while the window bounds what is queued (back-pressure). socket.io over one
 * websocket keeps the chunks in order, and the receiver requires them in order. The
 * receiver writes them into one preallocated buffer, hashes as it goes and accepts the blob
 * only when its SHA-256 matches the one announced at the start. A blob that arrives damaged
 * (hash mismatch, or short) is never offered; the sender sends it again, a bounded number
 * of times, since the next attempt may well arrive intact.
 *
 * The acknowledgement timeout counts from the last acknowledgement that arrived, not from
 * each chunk's emit: on a slow link a chunk at the back of a full window legitimately waits
 * for the chunks ahead of it (4 MiB at 1 Mbit/s take 34 s), while a receiver that stops
 * acknowledging is still detected within the timeout.
 *
 *   blob:begin {id, size, sha256, chunkSize} -> blob:chunk {id, index, data} ... -> blob:end {id}
 *
 * Hashing: a receiver hashes each chunk as it arrives and remembers the verified hash of
 * the bytes it kept (`knownSha256`), so that a relay sending the same bytes on (the
 * coordinator handing a float32 state to the next client) does not hash them again.
 *
 * Memory: the sender hashes and slices its bytes in place (no copy) and queues at most a
 * window of chunks; the receiver
 * (`BlobInbox`, ./blob-inbox.ts) holds one buffer of the announced size per blob, within a
 * per-connection budget, and drops a half-received blob that stops arriving.
 */
import { createHash, randomUUID } from 'node:crypto';
import { describeIssues, replySchema, type ErrorCode } from './replies.js';

export interface BlobBegin {
  id: string;
  size: number;
  /** Lowercase hex SHA-256 of the whole blob. */
  sha256: string;
  chunkSize: number;
}

export interface BlobChunk {
  id: string;
  index: number;
  data: Uint8Array;
}

export interface BlobEnd {
  id: string;
}

export type BlobEventName = 'blob:begin' | 'blob:chunk' | 'blob:end';

/**
 * 512 KiB: a chunk must stay under socket.io's default `maxHttpBufferSize` of 1e6 bytes,
 * which a 1 MiB chunk (1,048,576 bytes) would exceed.
 */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;
/** Largest chunk a receiver accepts (both sides may be configured, but not beyond this). */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 ** 3;
export const DEFAULT_ACK_TIMEOUT_MS = 30_000;
/** Chunks in flight (sent, not yet acknowledged) by default: 4 MiB of 512 KiB chunks. */
export const DEFAULT_SEND_WINDOW = 8;
/** Times a blob is sent before a damaged arrival fails the transfer. */
export const DEFAULT_SEND_ATTEMPTS = 3;

/** Verified SHA-256 of byte arrays this process received whole (set by BlobInbox), by the array. */
const verifiedHashes = new WeakMap<Uint8Array, string>();

/** Records that `bytes`, just verified on arrival, hash to `sha256` (lowercase hex). */
export function rememberSha256(bytes: Uint8Array, sha256: string): void {
  verifiedHashes.set(bytes, sha256);
}

/** Forgets the hash remembered for `bytes` (their memory is about to hold other bytes). */
export function forgetSha256(bytes: Uint8Array): void {
  verifiedHashes.delete(bytes);
}

/** The SHA-256 of `bytes`: the one verified when they arrived, or computed now. */
export function knownSha256(bytes: Uint8Array): string {
  return verifiedHashes.get(bytes) ?? sha256Hex(bytes);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Refusals meaning the bytes arrived damaged: sending the same blob again can succeed. */
const RESENDABLE: readonly ErrorCode[] = ['hash_mismatch', 'incomplete'];

/** A transfer that failed, on either side; `code` says why. */
export class TransferError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransferError';
  }
}

/** What `sendBlob` needs from a socket (server- or client-side): acknowledged emits with a timeout. */
export interface BlobSenderSocket {
  timeout(ms: number): { emitWithAck(event: BlobEventName, payload: BlobBegin | BlobChunk | BlobEnd): Promise<unknown> };
}

/** What `BlobInbox.attach` needs from a socket. */
export interface BlobReceiverSocket {
  on(event: BlobEventName, listener: (payload: unknown, ack: unknown) => void): unknown;
}

export interface SendBlobOptions {
  /** Bytes per chunk (default 512 KiB). */
  chunkSize?: number;
  /** How long the receiver may go without acknowledging anything while chunks are in flight. */
  ackTimeoutMs?: number;
  /** Chunks in flight at most (default 8); 1 awaits each chunk's acknowledgement before the next. */
  window?: number;
  /** Blob id; a random UUID by default. */
  id?: string;
  /** Times to send the blob when it arrives damaged (default 3). */
  attempts?: number;
  /** Hears each damaged arrival that is about to be sent again (to log it). */
  onResend?: (err: TransferError, attempt: number) => void;
}

export interface SentBlob {
  id: string;
  seconds: number;
  /** Times it was sent (1 unless an arrival was damaged). */
  attempts: number;
  /** Application bytes sent: every chunk's data, those of damaged attempts included. */
  bytesSent: number;
}

/**
 * Sends `bytes` as a blob and resolves once the receiver has verified it; a damaged arrival
 * is sent again (up to `attempts` times). Rejects with `TransferError`.
 */
export async function sendBlob(socket: BlobSenderSocket, bytes: Uint8Array, options: SendBlobOptions = {}): Promise<SentBlob> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunkSize must be an integer in [1, ${MAX_CHUNK_SIZE}], got ${chunkSize}`);
  }
  const attempts = options.attempts ?? DEFAULT_SEND_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  const window = options.window ?? DEFAULT_SEND_WINDOW;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const id = options.id ?? randomUUID();
  const started = performance.now();
  let begin: BlobBegin = { id, size: bytes.byteLength, sha256: knownSha256(bytes), chunkSize };
  const sent = { bytes: 0 };
  for (let attempt = 1; ; attempt++) {
    try {
      await transmit(socket, bytes, begin, options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS, window, sent);
      return { id, seconds: (performance.now() - started) / 1000, attempts: attempt, bytesSent: sent.bytes };
    } catch (err) {
      if (!(err instanceof TransferError) || !RESENDABLE.includes(err.code)) throw err;
      if (attempt >= attempts) throw new TransferError(err.code, `${err.message} (sent ${attempts} times, damaged each time)`);
      options.onResend?.(err, attempt);
      // A remembered hash may be stale if someone changed the bytes since they arrived.
      if (err.code === 'hash_mismatch') begin = { ...begin, sha256: sha256Hex(bytes) };
    }
  }
}

/**
 * One pass of begin, chunks and end. Begin and end each await their acknowledgement; the
 * chunks keep up to `window` in flight, their acknowledgements taken in order, and fail
 * when none arrives for `ackTimeoutMs` (see the file's comment). `sent.bytes` grows by each
 * chunk's data as it is emitted.
 */
async function transmit(socket: BlobSenderSocket, bytes: Uint8Array, begin: BlobBegin, ackTimeoutMs: number, window: number, sent: { bytes: number }): Promise<void> {
  const { id, chunkSize } = begin;
  const request = async (event: BlobEventName, payload: BlobBegin | BlobChunk | BlobEnd, what: string, timeoutMs: number): Promise<void> => {
    let raw: unknown;
    try {
      raw = await socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch (err) {
      const reason = (err as Error).message;
      if (/disconnected/.test(reason)) throw new TransferError('disconnected', `blob ${id}: peer disconnected during ${what}`);
      throw new TransferError('timeout', `blob ${id}: no acknowledgement of ${what} within ${timeoutMs} ms (${reason})`);
    }
    const reply = replySchema.safeParse(raw);
    if (!reply.success) throw new TransferError('bad_request', `blob ${id}: malformed acknowledgement of ${what}: ${describeIssues(reply.error)}`);
    if (!reply.data.ok) throw new TransferError(reply.data.code, `blob ${id}: ${what} rejected by receiver: ${reply.data.message}`);
  };
  await request('blob:begin', begin, 'begin', ackTimeoutMs);
  const chunks = Math.ceil(bytes.byteLength / chunkSize);
  // Each emit's own timeout is only a backstop that frees socket.io's ack slot: a chunk at
  // the back of a full window may wait for every chunk ahead of it. The progress timer below
  // is what detects a receiver that stopped acknowledging.
  const backstopMs = ackTimeoutMs * (window + 1);
  const inFlight: Promise<void>[] = [];
  let next = 0;
  for (let acked = 0; acked < chunks; acked++) {
    while (next < chunks && next - acked < window) {
      const data = bytes.subarray(next * chunkSize, Math.min(bytes.byteLength, (next + 1) * chunkSize));
      const ack = request('blob:chunk', { id, index: next, data }, `chunk ${next + 1}/${chunks}`, backstopMs);
      ack.catch(() => undefined); // awaited in turn below; a failure behind the first is moot
      inFlight.push(ack);
      sent.bytes += data.byteLength;
      next++;
    }
    await withinProgressTimeout(inFlight.shift()!, ackTimeoutMs, () => `blob ${id}: no acknowledgement within ${ackTimeoutMs} ms of the last one (chunk ${acked + 1}/${chunks} and ${next - acked - 1} after it in flight)`);
  }
  await request('blob:end', { id }, 'end', ackTimeoutMs);
}

/** `ack`, or a timeout `TransferError` when it takes longer than `ms` from now (the previous acknowledgement). */
function withinProgressTimeout(ack: Promise<void>, ms: number, message: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransferError('timeout', message())), ms);
  });
  return Promise.race([ack, expired]).finally(() => clearTimeout(timer));
}
