/**
 * Blob bytes over plain HTTP, on the server the coordinator already listens on (same port,
 * same TLS), while socket.io keeps the control messages. A websocket frame from a client
 * must be masked (XOR-ed with a key, which costs a pass and a copy of every byte) and
 * socket.io adds a parser and an acknowledgement per chunk: a 46 MB state crossed loopback
 * at about 100 MB/s that way, the CPU the limit. A plain HTTP body is one TCP stream that
 * the kernel's flow control keeps full, its bytes read straight into the receiver's buffer.
 *
 *   coordinator -> client: `blob:offer {id, size, sha256}` on socket.io; the client
 *     `GET /blobs/<id>` (`Range: bytes=N-` to resume after a cut) and acknowledges the
 *     offer once the bytes are whole and their SHA-256 matches.
 *   client -> coordinator: `PUT /blobs/<id>` with `x-streamssl-size` and
 *     `x-streamssl-sha256`, `Expect: 100-continue` (a refusal comes before any byte is
 *     sent); after a cut, `HEAD /blobs/<id>` says how many bytes the coordinator holds
 *     (`x-streamssl-received`) and a PUT with `Content-Range: bytes N-(size-1)/size`
 *     continues from there. The answer is a JSON `Reply`.
 *
 * Every request carries the clients' token (`Authorization: Bearer`, never in the URL) and
 * the socket.io id of the connection it belongs to (`x-streamssl-session`): a blob belongs
 * to one connection, and goes with it when it is lost.
 */
import { z } from 'zod';
import { idSchema, type ErrorCode } from './replies.js';

/** Where blobs live on the coordinator's HTTP server. */
export const BLOB_PATH = '/blobs/';

/** Request and response headers of the blob endpoints (lowercase, as Node gives them). */
export const BLOB_HEADERS = {
  session: 'x-streamssl-session',
  size: 'x-streamssl-size',
  sha256: 'x-streamssl-sha256',
  received: 'x-streamssl-received',
  complete: 'x-streamssl-complete',
} as const;

/** Bytes handed to a socket at once: the writer waits for the socket to drain between them (back-pressure, and a sign of progress). */
export const BLOB_WRITE_SLICE = 1024 * 1024;

/** What `writeSlices` writes to: an HTTP request or response. */
export interface SliceSink {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  readonly destroyed: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Writes `bytes` to `sink` in slices of `BLOB_WRITE_SLICE` (views: no copy), each once the
 * socket drained the last, telling `onSlice` of each slice handed over, then ends it; stops
 * early when the sink is destroyed (a cut), which the reader of the answer sees.
 */
export async function writeSlices(sink: SliceSink, bytes: Uint8Array, onSlice: (bytes: number) => void): Promise<void> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < view.byteLength && !sink.destroyed; at += BLOB_WRITE_SLICE) {
    const slice = view.subarray(at, Math.min(view.byteLength, at + BLOB_WRITE_SLICE));
    const more = sink.write(slice);
    if (!sink.destroyed) onSlice(slice.byteLength);
    if (!more) await drained(sink);
  }
  if (!sink.destroyed) sink.end();
}

/** Resolves when `sink` drained, or closed (then it never will). */
function drained(sink: SliceSink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    sink.on('close', done);
  });
}

/** Largest JSON answer read back from a blob request. */
export const MAX_BLOB_ANSWER_BYTES = 64 * 1024;

/** What the coordinator offers a client to GET. */
export interface BlobOffer {
  id: string;
  size: number;
  /** Lowercase hex SHA-256 of the whole blob. */
  sha256: string;
}

export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected lowercase hex SHA-256');

export const blobOfferSchema = z.strictObject({ id: idSchema, size: z.number().int().min(0), sha256: sha256HexSchema });

/** The URL of blob `id` on the coordinator at `base` (its socket.io URL). */
export function blobUrl(base: string, id: string): URL {
  return new URL(`${BLOB_PATH}${encodeURIComponent(id)}`, base);
}

/** The HTTP status a refusal with `code` is answered with. */
export function blobStatus(code: ErrorCode): number {
  switch (code) {
    case 'unauthorized':
      return 401;
    case 'locked_out':
      return 429;
    case 'unknown_blob':
      return 404;
    case 'too_large':
      return 413;
    case 'out_of_order':
    case 'busy':
    case 'not_ready':
      return 409;
    case 'internal':
      return 500;
    default:
      return 400;
  }
}

/** The start of `Range: bytes=N-` (the only range asked for), 0 without one, or null when it is another form. */
export function parseRangeStart(header: string | undefined): number | null {
  if (header === undefined) return 0;
  const match = /^bytes=(\d{1,15})-$/.exec(header.trim());
  return match ? Number(match[1]) : null;
}

/** The offset of `Content-Range: bytes N-M/S` (resuming an upload), 0 without one, or null when malformed or not matching `size`. */
export function parseContentRangeStart(header: string | undefined, size: number): number | null {
  if (header === undefined) return 0;
  const match = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(header.trim());
  if (!match) return null;
  const [start, end, total] = match.slice(1).map(Number);
  return total === size && end === size - 1 && start <= end ? start : null;
}
