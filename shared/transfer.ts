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
 * Memory: the sender hashes and slices its bytes in place (no copy); the receiver holds
 * one buffer of the announced size per blob, at most `maxPendingBlobs` of them.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues, failure, idSchema, replySchema, type ErrorCode, type Failure, type Reply } from './replies.js';

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

const binarySchema = z.custom<Uint8Array | ArrayBuffer>((v) => v instanceof Uint8Array || v instanceof ArrayBuffer, 'expected binary data');
const blobBeginSchema = z.strictObject({
  id: idSchema,
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256'),
  chunkSize: z.number().int().min(1).max(MAX_CHUNK_SIZE),
});
const blobChunkSchema = z.strictObject({ id: idSchema, index: z.number().int().min(0), data: binarySchema });
const blobEndSchema = z.strictObject({ id: idSchema });

export interface BlobInboxOptions {
  /** Largest blob accepted at `blob:begin` (default 2 GiB). */
  maxBlobBytes?: number;
  /** Blobs held at once, arriving or waiting to be taken (default 4): bounds what a peer can make us allocate. */
  maxPendingBlobs?: number;
}

/** A verified blob, and how long it took to arrive. */
export interface ReceivedBlob {
  bytes: Uint8Array;
  seconds: number;
}

interface PendingBlob {
  begin: BlobBegin;
  buffer: Uint8Array;
  received: number;
  nextIndex: number;
  hash: Hash;
  started: number;
}

/**
 * Receives blobs sent by `sendBlob` on one socket. Complete, verified blobs wait in the
 * inbox until `take`n; a blob whose hash does not match is dropped and never offered.
 */
export class BlobInbox {
  private readonly maxBlobBytes: number;
  private readonly maxPendingBlobs: number;
  private readonly pending = new Map<string, PendingBlob>();
  private readonly complete = new Map<string, ReceivedBlob>();

  constructor(options: BlobInboxOptions = {}) {
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.maxPendingBlobs = options.maxPendingBlobs ?? 4;
  }

  /**
   * Answers the blob events of `socket`. `gate`, when given, may refuse an event before the
   * inbox sees it (e.g. before the peer said hello); `onRefused` hears every refusal (to log it).
   */
  attach(socket: BlobReceiverSocket, hooks: { gate?: () => Reply; onRefused?: (event: BlobEventName, reply: Failure) => void } = {}): void {
    const events: BlobEventName[] = ['blob:begin', 'blob:chunk', 'blob:end'];
    for (const event of events) {
      socket.on(event, (payload, ack) => {
        const allowed = hooks.gate?.() ?? { ok: true };
        const reply = allowed.ok ? this.handle(event, payload) : allowed;
        if (!reply.ok) hooks.onRefused?.(event, reply);
        if (typeof ack === 'function') ack(reply);
      });
    }
  }

  /** Handles one blob event; never throws. */
  handle(event: BlobEventName, payload: unknown): Reply {
    try {
      if (event === 'blob:begin') return this.begin(payload);
      if (event === 'blob:chunk') return this.chunk(payload);
      return this.end(payload);
    } catch (err) {
      return failure('internal', `${event}: ${(err as Error).message}`);
    }
  }

  /** Removes and returns a complete blob; throws `TransferError` when it is not (yet) here. */
  take(id: string): ReceivedBlob {
    const blob = this.complete.get(id);
    if (!blob) {
      const why = this.pending.has(id) ? 'is still arriving' : 'was never received (or failed verification)';
      throw new TransferError('unknown_blob', `blob ${id} ${why}`);
    }
    this.complete.delete(id);
    return blob;
  }

  /** Drops a blob, finished or not; unknown ids are ignored. */
  discard(id: string): void {
    this.pending.delete(id);
    this.complete.delete(id);
  }

  /** Drops everything, finished or not (e.g. when the peer disconnects). */
  clear(): void {
    this.pending.clear();
    this.complete.clear();
  }

  /** Bytes held by pending and complete blobs. */
  get heldBytes(): number {
    let total = 0;
    for (const p of this.pending.values()) total += p.buffer.byteLength;
    for (const c of this.complete.values()) total += c.bytes.byteLength;
    return total;
  }

  private begin(payload: unknown): Reply {
    const parsed = blobBeginSchema.safeParse(payload);
    if (!parsed.success) return failure('bad_request', `blob:begin: ${describeIssues(parsed.error)}`);
    const begin = parsed.data;
    if (this.pending.has(begin.id) || this.complete.has(begin.id)) return failure('bad_request', `blob:begin: id ${begin.id} is already in use`);
    if (begin.size > this.maxBlobBytes) {
      return failure('too_large', `blob:begin: ${begin.size} bytes exceeds the limit of ${this.maxBlobBytes} bytes`);
    }
    if (this.pending.size + this.complete.size >= this.maxPendingBlobs) {
      return failure('busy', `blob:begin: already holding ${this.pending.size + this.complete.size} blobs`);
    }
    this.pending.set(begin.id, {
      begin,
      buffer: new Uint8Array(begin.size),
      received: 0,
      nextIndex: 0,
      hash: createHash('sha256'),
      started: performance.now(),
    });
    return { ok: true };
  }

  private chunk(payload: unknown): Reply {
    const parsed = blobChunkSchema.safeParse(payload);
    if (!parsed.success) return failure('bad_request', `blob:chunk: ${describeIssues(parsed.error)}`);
    const { id, index } = parsed.data;
    const data = parsed.data.data instanceof Uint8Array ? parsed.data.data : new Uint8Array(parsed.data.data);
    const blob = this.pending.get(id);
    if (!blob) return failure('unknown_blob', `blob:chunk: no blob ${id} is being received`);
    if (index !== blob.nextIndex) {
      this.pending.delete(id);
      return failure('out_of_order', `blob:chunk: blob ${id} expected chunk ${blob.nextIndex}, got ${index}; transfer abandoned`);
    }
    const expected = Math.min(blob.begin.chunkSize, blob.begin.size - blob.received);
    if (data.byteLength !== expected) {
      this.pending.delete(id);
      // A short chunk is a truncated one: the sender may try again.
      const code: ErrorCode = data.byteLength > expected ? 'too_large' : 'incomplete';
      return failure(code, `blob:chunk: blob ${id} chunk ${index} has ${data.byteLength} bytes, expected ${expected}; transfer abandoned`);
    }
    blob.buffer.set(data, blob.received);
    blob.hash.update(data);
    blob.received += data.byteLength;
    blob.nextIndex++;
    return { ok: true };
  }

  private end(payload: unknown): Reply {
    const parsed = blobEndSchema.safeParse(payload);
    if (!parsed.success) return failure('bad_request', `blob:end: ${describeIssues(parsed.error)}`);
    const blob = this.pending.get(parsed.data.id);
    if (!blob) return failure('unknown_blob', `blob:end: no blob ${parsed.data.id} is being received`);
    this.pending.delete(blob.begin.id);
    if (blob.received !== blob.begin.size) {
      return failure('incomplete', `blob:end: blob ${blob.begin.id} has ${blob.received} of ${blob.begin.size} bytes`);
    }
    const actual = blob.hash.digest('hex');
    if (actual !== blob.begin.sha256) {
      return failure('hash_mismatch', `blob:end: blob ${blob.begin.id} SHA-256 is ${actual}, announced ${blob.begin.sha256}; discarded`);
    }
    this.complete.set(blob.begin.id, { bytes: blob.buffer, seconds: (performance.now() - blob.started) / 1000 });
    return { ok: true };
  }
}
