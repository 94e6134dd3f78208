/**
 * What both sides' blob transfers share (the transfer itself is HTTP, ./blob-http.ts): the
 * limits, the coded `TransferError`, what a sent blob reports, and the hashes remembered.
 *
 * Hashing: a receiver hashes a blob as its bytes arrive and remembers the verified hash of
 * the bytes it kept (`knownSha256`), so that a relay sending the same bytes on (the
 * coordinator handing a float32 state to the next client) does not hash them again.
 */
import { createHash } from 'node:crypto';
import type { ErrorCode } from './replies.js';

/** Largest blob either side accepts (the outer cap; a task may bound its uploads tighter). */
export const DEFAULT_MAX_BLOB_BYTES = 2 * 1024 ** 3;
/** How long a peer may take to acknowledge (or a transfer to move a byte) by default. */
export const DEFAULT_ACK_TIMEOUT_MS = 30_000;
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

/** The hex SHA-256 of `bytes`, as blob hashes are written. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

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

/** What a blob that arrived verified reports of its transfer. */
export interface SentBlob {
  id: string;
  seconds: number;
  /** Times it was sent (1 unless an arrival was damaged). */
  attempts: number;
  /** Application bytes sent: every byte written, those of damaged or cut attempts included. */
  bytesSent: number;
}
