/**
 * The coordinator's blobs on their way to one client (shared/blob-http.ts): offered on
 * socket.io, fetched by the client with `GET /blobs/<id>` (blob-routes.ts serves it from
 * here), and done when the client acknowledges the offer, which it does once the bytes are
 * whole and their SHA-256 matches. An offer fails when the client's GET makes no progress
 * for the acknowledgement timeout (counted from the last bytes the socket took, so a slow
 * link is not a dead one); a damaged arrival is offered again, a bounded number of times.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BlobOffer } from '../../shared/blob-http.js';
import { describeIssues, replySchema, type Reply } from '../../shared/replies.js';
import { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_SEND_ATTEMPTS, forgetSha256, knownSha256, TransferError, type SentBlob } from '../../shared/transfer.js';

/** A blob offered to the client, and who listens to its bytes leaving. */
export interface OfferedBlob {
  bytes: Uint8Array;
  sha256: string;
  /** Told of the bytes each GET wrote to its socket (they count as sent, and as progress). */
  onSent(bytes: number): void;
}

/** The blobs offered on one connection, and the responses sending them. */
export class BlobOutbox {
  private readonly offered = new Map<string, OfferedBlob>();
  private readonly responses = new Set<ServerResponse>();

  get(id: string): OfferedBlob | undefined {
    return this.offered.get(id);
  }

  /** Serves `blob` under `id` until withdrawn. */
  put(id: string, blob: OfferedBlob): void {
    this.offered.set(id, blob);
  }

  withdraw(id: string): void {
    this.offered.delete(id);
  }

  /** Tracks a response sending one of the blobs, so that `clear` can end it. */
  track(res: ServerResponse): void {
    this.responses.add(res);
    res.once('close', () => this.responses.delete(res));
  }

  /** Withdraws everything and cuts the responses under way (the connection is gone). */
  clear(): void {
    this.offered.clear();
    for (const res of this.responses) res.destroy();
    this.responses.clear();
  }
}

/** What `offerBlob` needs of the client's socket: an acknowledged `blob:offer`. */
export interface OfferSocket {
  timeout(ms: number): { emitWithAck(event: 'blob:offer', payload: BlobOffer): Promise<unknown> };
}

export interface OfferOptions {
  /** How long the client's GET may go without taking bytes (and how long it may take to start). */
  ackTimeoutMs?: number;
  attempts?: number;
  onResend?: (err: TransferError, attempt: number) => void;
}

/** Longest setTimeout: the offer's own acknowledgement waits for the whole transfer; the progress timer is what fails it. */
const BACKSTOP_MS = 2 ** 31 - 1;

/**
 * Offers `bytes` to the client and resolves once it has them, verified; a damaged arrival is
 * offered again (up to `attempts` times). Rejects with `TransferError`.
 */
export async function offerBlob(socket: OfferSocket, outbox: BlobOutbox, bytes: Uint8Array, options: OfferOptions = {}): Promise<SentBlob> {
  const ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const attempts = options.attempts ?? DEFAULT_SEND_ATTEMPTS;
  const started = performance.now();
  let offer: BlobOffer = { id: randomUUID(), size: bytes.byteLength, sha256: knownSha256(bytes) };
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const stalled = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TransferError('timeout', `blob ${offer.id}: the client took no bytes for ${ackTimeoutMs} ms (${sent} of ${offer.size} sent)`)), ackTimeoutMs);
      });
      outbox.put(offer.id, { bytes, sha256: offer.sha256, onSent: (n) => ((sent += n), timer?.refresh()) });
      let raw: unknown;
      try {
        raw = await Promise.race([socket.timeout(BACKSTOP_MS).emitWithAck('blob:offer', offer), stalled]);
      } catch (err) {
        if (err instanceof TransferError) throw err;
        throw new TransferError('disconnected', `blob ${offer.id}: no acknowledgement of the offer (${(err as Error).message})`);
      } finally {
        clearTimeout(timer);
        outbox.withdraw(offer.id);
      }
      const reply = parseReply(raw, offer.id);
      if (reply.ok) return { id: offer.id, seconds: (performance.now() - started) / 1000, attempts: attempt, bytesSent: sent };
      const err = new TransferError(reply.code, `blob ${offer.id}: refused by the client: ${reply.message}`);
      if (reply.code !== 'hash_mismatch' && reply.code !== 'incomplete') throw err;
      if (attempt >= attempts) throw new TransferError(reply.code, `${err.message} (sent ${attempts} times, damaged each time)`);
      options.onResend?.(err, attempt);
      // A remembered hash may be stale if someone changed the bytes since they arrived.
      if (reply.code === 'hash_mismatch') {
        forgetSha256(bytes);
        offer = { ...offer, sha256: knownSha256(bytes) };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function parseReply(raw: unknown, id: string): Reply {
  const reply = replySchema.safeParse(raw);
  if (!reply.success) throw new TransferError('bad_request', `blob ${id}: malformed acknowledgement of the offer: ${describeIssues(reply.error)}`);
  return reply.data;
}
