/**
 * The receiving side of blob transfers (./blob-http.ts): one inbox per connection. A blob
 * is announced (`open`: id, size, SHA-256), its bytes appended in order from any offset
 * the last cut left (`append`), and kept once whole and its hash matches (`finish`).
 *
 * What a peer can make us hold is bounded four ways: each blob's announced size
 * (`maxBlobBytes`, which may follow what the receiver expects), the blobs held at once
 * (`maxPendingBlobs`), the bytes held at once across them (`maxHeldBytes`: announced sizes
 * count, since a blob's buffer is allocated when it is opened), and how long a half-received
 * blob may wait for its next bytes (`idleTimeoutMs`: then it is dropped and its buffer freed).
 *
 * A receiver that is done with a blob's bytes may give them back (`recycle`), and one that
 * knows the size of a blob to come may have its memory readied (`prepare`): the next blob
 * of about that size is received into pages mapped already (./buffer-shelf.ts says why
 * that matters). One such spare buffer is kept at most.
 */
import { createHash, type Hash } from 'node:crypto';
import { noteArrivedBytes } from './arrival-garbage.js';
import { blobOfferSchema, type BlobOffer } from './blob-http.js';
import { BufferShelf } from './buffer-shelf.js';
import { describeIssues, failure, type Failure, type Reply } from './replies.js';
import { DEFAULT_MAX_BLOB_BYTES, forgetSha256, rememberSha256, TransferError } from './transfer.js';

/** Bytes one inbox holds at once by default: one blob of the largest size, or several smaller. */
export const DEFAULT_MAX_HELD_BYTES = DEFAULT_MAX_BLOB_BYTES;
/** How long a half-received blob waits for its next bytes by default. */
export const DEFAULT_BLOB_IDLE_TIMEOUT_MS = 120_000;

export interface BlobInboxOptions {
  /**
   * Largest blob accepted (default 2 GiB). A function is asked at each `open`, so the
   * limit can follow what the receiver expects at that moment.
   */
  maxBlobBytes?: number | (() => number);
  /** Blobs held at once, arriving or waiting to be taken (default 4). */
  maxPendingBlobs?: number;
  /** Bytes held at once by arriving (announced sizes) and waiting blobs (default 2 GiB). */
  maxHeldBytes?: number;
  /**
   * How long a half-received blob may go without bytes before it is dropped (default
   * 2 min). A function is asked at each `open`, so the limit can follow what the
   * receiver learns later (a client learns the coordinator's heartbeat when it joins).
   */
  idleTimeoutMs?: number | (() => number);
  /**
   * Asked at each well-formed `open` within the size limit, with the prefix its refusal
   * should carry (`what`): a failure refuses the blob (e.g. the coordinator takes uploads
   * only from a client running a task that returns some, and no larger than it returns).
   */
  admit?: (announced: BlobOffer, what: string) => Failure | null;
  /** Hears each half-received blob dropped for inactivity (to log it). */
  onExpired?: (id: string, message: string) => void;
}

/** A verified blob, and how long it took to arrive. */
export interface ReceivedBlob {
  bytes: Uint8Array;
  seconds: number;
}

interface PendingBlob {
  begin: BlobOffer;
  buffer: Uint8Array;
  received: number;
  hash: Hash;
  started: number;
  idle: NodeJS.Timeout;
  /** The inactivity limit it was given when opened. */
  idleMs: number;
}

/** Ids of blobs dropped for inactivity that late bytes are told about. */
const REMEMBERED_EXPIRIES = 16;

/**
 * Receives the blobs of one connection. Complete, verified blobs wait in the inbox until
 * `take`n; a blob whose hash does not match is dropped and never offered.
 */
export class BlobInbox {
  private readonly maxBlobBytes: () => number;
  private readonly maxPendingBlobs: number;
  private readonly maxHeldBytes: number;
  private readonly idleTimeoutMs: () => number;
  private readonly pending = new Map<string, PendingBlob>();
  private readonly complete = new Map<string, ReceivedBlob>();
  /** Why recently expired blobs are gone, by id. */
  private readonly expired = new Map<string, string>();
  /** The spare buffer (given back or prepared), received into by the next blob of about its size. */
  private readonly shelf = new BufferShelf();

  constructor(private readonly options: BlobInboxOptions = {}) {
    const max = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.maxBlobBytes = typeof max === 'function' ? max : () => max;
    this.maxPendingBlobs = options.maxPendingBlobs ?? 4;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    const idle = options.idleTimeoutMs ?? DEFAULT_BLOB_IDLE_TIMEOUT_MS;
    this.idleTimeoutMs = typeof idle === 'function' ? idle : () => idle;
  }

  /**
   * Starts receiving blob `{id, size, sha256}` (checked here: it may come from a peer)
   * within the limits, its buffer allocated; never throws.
   */
  open(announced: unknown): Reply {
    const parsed = blobOfferSchema.safeParse(announced);
    if (!parsed.success) return failure('bad_request', `blob: ${describeIssues(parsed.error)}`);
    try {
      return this.admitBlob(parsed.data, `blob ${parsed.data.id}`);
    } catch (err) {
      // Allocating the buffer may fail (out of memory): a refusal, not a crash.
      return failure('internal', `blob ${parsed.data.id}: ${(err as Error).message}`);
    }
  }

  /**
   * Writes the next bytes of blob `id`, which continue it at `offset` (the bytes
   * received so far: a stream resumed after a cut continues where the last one stopped).
   * Bytes beyond the announced size drop the blob.
   */
  append(id: string, data: Uint8Array, offset: number): Reply {
    const blob = this.pending.get(id);
    if (!blob) return failure('unknown_blob', `blob ${id} ${this.expired.get(id) ?? 'is not being received'}`);
    if (offset !== blob.received) return failure('out_of_order', `blob ${id}: bytes at offset ${offset}, but ${blob.received} bytes have arrived (continue from there)`);
    if (data.byteLength > blob.begin.size - blob.received) {
      this.drop(id);
      return failure('too_large', `blob ${id}: more than the announced ${blob.begin.size} bytes arrived; transfer abandoned`);
    }
    this.write(blob, data);
    return { ok: true };
  }

  /** Bytes of blob `id` that have arrived, and whether it is complete (verified); null when neither arriving nor complete. */
  progress(id: string): { received: number; complete: boolean } | null {
    const pending = this.pending.get(id);
    if (pending) return { received: pending.received, complete: false };
    const complete = this.complete.get(id);
    return complete ? { received: complete.bytes.byteLength, complete: true } : null;
  }

  /** Ends blob `id`: kept when whole and its hash matches, else dropped and refused. */
  finish(id: string): Reply {
    const blob = this.pending.get(id);
    if (!blob) return failure('unknown_blob', `blob ${id} ${this.expired.get(id) ?? 'is not being received'}`);
    this.drop(id);
    if (blob.received !== blob.begin.size) {
      return failure('incomplete', `blob ${id} has ${blob.received} of ${blob.begin.size} bytes`);
    }
    const actual = blob.hash.digest('hex');
    if (actual !== blob.begin.sha256) {
      return failure('hash_mismatch', `blob ${id} SHA-256 is ${actual}, announced ${blob.begin.sha256}; discarded`);
    }
    rememberSha256(blob.buffer, actual);
    this.complete.set(id, { bytes: blob.buffer, seconds: (performance.now() - blob.started) / 1000 });
    return { ok: true };
  }

  /** Removes and returns a complete blob; throws `TransferError` when it is not (yet) here. */
  take(id: string): ReceivedBlob {
    const blob = this.complete.get(id);
    if (!blob) {
      const why = this.pending.has(id) ? 'is still arriving' : (this.expired.get(id) ?? 'was never received (or failed verification)');
      throw new TransferError('unknown_blob', `blob ${id} ${why}`);
    }
    this.complete.delete(id);
    return blob;
  }

  /** Drops a blob, finished or not; unknown ids are ignored. */
  discard(id: string): void {
    this.drop(id);
    this.complete.delete(id);
  }

  /** Drops everything, finished or not (e.g. when the peer disconnects), and the spare buffer. */
  clear(): void {
    for (const id of [...this.pending.keys()]) this.drop(id);
    this.complete.clear();
    this.shelf.clear();
  }

  /**
   * Gives back the bytes of a blob taken from this inbox, which the caller (and whatever it
   * handed them to) no longer reads: a later blob of between half and all of their size is
   * received into them. Bytes this inbox did not allocate are ignored; of two spares the
   * larger is kept.
   */
  recycle(bytes: Uint8Array): void {
    // Given back twice, the second time while a later blob arrives (or waits) in it: ignored.
    for (const held of [...[...this.pending.values()].map((p) => p.buffer), ...[...this.complete.values()].map((c) => c.bytes)]) if (held.buffer === bytes.buffer) return;
    if (this.shelf.give(bytes)) forgetSha256(bytes);
  }

  /**
   * Readies the memory of a blob of about `size` bytes that is to arrive (the state a
   * running task will return), its pages written while the peer still works; the next blob
   * of between half and all of that size is received into it. Resolves once it is ready.
   */
  prepare(size: number): Promise<void> {
    return this.shelf.prepare(size);
  }

  /**
   * The spare buffer, whatever its size, lent out (null: none), for a receiver that has a
   * value of about a blob's size to write while no blob arrives (a client's first result,
   * before it was ever handed a state). The borrower `recycle`s it once done with it.
   */
  lendSpare(): Uint8Array | null {
    return this.shelf.take();
  }

  /** Bytes of the spare buffer, kept (given back or readied) for the next blob of about its size; not counted in `heldBytes`. */
  get spareBytes(): number {
    return this.shelf.spareBytes;
  }

  /** Bytes held by pending (their announced sizes) and complete blobs. */
  get heldBytes(): number {
    let total = 0;
    for (const p of this.pending.values()) total += p.buffer.byteLength;
    for (const c of this.complete.values()) total += c.bytes.byteLength;
    return total;
  }

  /** Forgets a half-received blob and stops its inactivity timer. */
  private drop(id: string): void {
    const blob = this.pending.get(id);
    if (!blob) return;
    clearTimeout(blob.idle);
    this.pending.delete(id);
  }

  private expire(id: string): void {
    const blob = this.pending.get(id);
    if (!blob) return;
    this.drop(id);
    const message = `was dropped after ${blob.idleMs} ms without bytes arriving (${blob.received} of ${blob.begin.size} bytes had arrived)`;
    this.expired.set(id, message);
    if (this.expired.size > REMEMBERED_EXPIRIES) this.expired.delete(this.expired.keys().next().value!);
    this.options.onExpired?.(id, `blob ${id} ${message}`);
  }

  /** Checks a blob's announcement against the limits and starts receiving it; `what` prefixes refusals. */
  private admitBlob(begin: BlobOffer, what: string): Reply {
    if (this.pending.has(begin.id) || this.complete.has(begin.id)) return failure('bad_request', `${what}: id ${begin.id} is already in use`);
    const maxBlobBytes = this.maxBlobBytes();
    if (begin.size > maxBlobBytes) {
      return failure('too_large', `${what}: ${begin.size} bytes exceeds the limit of ${maxBlobBytes} bytes`);
    }
    const refusal = this.options.admit?.(begin, what);
    if (refusal) return refusal;
    if (this.pending.size + this.complete.size >= this.maxPendingBlobs) {
      return failure('busy', `${what}: already holding ${this.pending.size + this.complete.size} blobs (the limit maxPendingBlobs)`);
    }
    const held = this.heldBytes;
    if (held + begin.size > this.maxHeldBytes) {
      return failure('too_large', `${what}: ${begin.size} bytes beside the ${held} already held exceeds this connection's budget of ${this.maxHeldBytes} bytes (maxHeldBytes)`);
    }
    this.expired.delete(begin.id);
    const idleMs = this.idleTimeoutMs();
    const idle = setTimeout(() => this.expire(begin.id), idleMs);
    idle.unref();
    this.pending.set(begin.id, { begin, buffer: this.shelf.allocate(begin.size), received: 0, hash: createHash('sha256'), started: performance.now(), idle, idleMs });
    return { ok: true };
  }

  /** Copies `data` into the blob's buffer where the received bytes end, and hashes it. */
  private write(blob: PendingBlob, data: Uint8Array): void {
    blob.buffer.set(data, blob.received);
    blob.hash.update(data);
    blob.received += data.byteLength;
    blob.idle.refresh();
    noteArrivedBytes(data.byteLength);
  }
}
