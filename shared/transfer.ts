/**
 * Chunked blob transfer over socket.io, in either direction.
 *
 * A 45 MB model state does not fit one socket.io message under the default
 * `maxHttpBufferSize` (1e6 bytes), so the sender cuts it into chunks and sends them one at a
 * time, each awaiting the receiver's acknowledgement (back-pressure: at most one chunk is
 * in flight). The receiver writes them into one preallocated buffer, hashes as it goes and
 * accepts the blob only when its SHA-256 matches the one announced at the start. A blob
 * that arrives damaged (hash mismatch, or short) is never offered; the sender sends it
 * again, a bounded number of times, since the next attempt may well arrive intact.
 *
 *   blob:begin {id, size, sha256, chunkSize} -> blob:chunk {id, index, data} ... -> blob:end {id}
 *
 * Memory: the sender hashes and slices its bytes in place (no copy); the receiver
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
/** Times a blob is sent before a damaged arrival fails the transfer. */
export const DEFAULT_SEND_ATTEMPTS = 3;

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
  /** How long each acknowledgement may take. */
  ackTimeoutMs?: number;
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
  const id = options.id ?? randomUUID();
  const started = performance.now();
  const begin: BlobBegin = { id, size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex'), chunkSize };
  for (let attempt = 1; ; attempt++) {
    try {
      await transmit(socket, bytes, begin, options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS);
      return { id, seconds: (performance.now() - started) / 1000, attempts: attempt };
    } catch (err) {
      if (!(err instanceof TransferError) || !RESENDABLE.includes(err.code)) throw err;
      if (attempt >= attempts) throw new TransferError(err.code, `${err.message} (sent ${attempts} times, damaged each time)`);
      options.onResend?.(err, attempt);
    }
  }
}

/** One pass of begin, chunks and end, each awaiting its acknowledgement. */
async function transmit(socket: BlobSenderSocket, bytes: Uint8Array, begin: BlobBegin, ackTimeoutMs: number): Promise<void> {
  const { id, chunkSize } = begin;
  const request = async (event: BlobEventName, payload: BlobBegin | BlobChunk | BlobEnd, what: string): Promise<void> => {
    let raw: unknown;
    try {
      raw = await socket.timeout(ackTimeoutMs).emitWithAck(event, payload);
    } catch (err) {
      const reason = (err as Error).message;
      if (/disconnected/.test(reason)) throw new TransferError('disconnected', `blob ${id}: peer disconnected during ${what}`);
      throw new TransferError('timeout', `blob ${id}: no acknowledgement of ${what} within ${ackTimeoutMs} ms (${reason})`);
    }
    const reply = replySchema.safeParse(raw);
    if (!reply.success) throw new TransferError('bad_request', `blob ${id}: malformed acknowledgement of ${what}: ${describeIssues(reply.error)}`);
    if (!reply.data.ok) throw new TransferError(reply.data.code, `blob ${id}: ${what} rejected by receiver: ${reply.data.message}`);
  };
  await request('blob:begin', begin, 'begin');
  const chunks = Math.ceil(bytes.byteLength / chunkSize);
  for (let index = 0; index < chunks; index++) {
    const data = bytes.subarray(index * chunkSize, Math.min(bytes.byteLength, (index + 1) * chunkSize));
    await request('blob:chunk', { id, index, data }, `chunk ${index + 1}/${chunks}`);
  }
  await request('blob:end', { id }, 'end');
}
