/**
 * The client's side of blob transfers over HTTP (the protocol is in shared/blob-http.ts):
 * fetching a blob the coordinator offered into the inbox, and uploading a result blob. Both
 * go on after a cut from the bytes that arrived (a GET asks for the rest with `Range`; an
 * upload asks the coordinator with HEAD how much it holds), a bounded number of times, and
 * give up when the connection they belong to is lost (`signal`).
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BLOB_HEADERS, blobUrl, MAX_BLOB_ANSWER_BYTES, writeSlices, type BlobOffer } from '../shared/blob-http.js';
import type { BlobInbox } from '../shared/blob-inbox.js';
import { describeIssues, failure, replySchema, type Reply } from '../shared/replies.js';
import { DEFAULT_SEND_ATTEMPTS, knownSha256, TransferError, type SentBlob } from '../shared/transfer.js';

export interface BlobLinkOptions {
  /** The coordinator's URL (its socket.io URL: the blobs are on the same server). */
  url: string;
  token: string;
  /** CA certificate(s) to trust for an https coordinator. */
  ca?: string | Buffer;
  /** The socket.io id of the connection the blobs belong to (undefined while disconnected). */
  session(): string | undefined;
  /** How long a request may go without a byte moving (never shorter than the heartbeat). */
  idleTimeoutMs(): number;
  /** Requests made for one blob before it fails (default 5): the first and the continuations after cuts. */
  attempts?: number;
  /** Wait before a continuation (default 500 ms). */
  retryDelayMs?: number;
}

/** A request that failed on the way (a cut, a reset): the blob may continue from where it stopped. */
class CutError extends Error {}

/** Fetches offered blobs and uploads result blobs over HTTP. */
export class BlobLink {
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  constructor(private readonly o: BlobLinkOptions) {
    const https = new URL(o.url).protocol === 'https:';
    // Kept alive: the next blob goes on the same TCP (and TLS) connection.
    this.agent = https ? new HttpsAgent({ keepAlive: true, ...(o.ca ? { ca: o.ca } : {}) }) : new HttpAgent({ keepAlive: true });
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * Fetches the offered blob into `inbox` (bounded by the inbox's limits) and answers the
   * offer: ok once it is whole and verified there, else why not.
   */
  async fetch(offer: BlobOffer, inbox: BlobInbox, signal: AbortSignal): Promise<Reply> {
    const opened = inbox.open(offer);
    if (!opened.ok) return opened;
    const fail = (reply: Reply) => (inbox.discard(offer.id), reply);
    for (let attempt = 1; ; attempt++) {
      const from = inbox.progress(offer.id)?.received ?? 0;
      try {
        const res = await this.send('GET', offer.id, from > 0 ? { range: `bytes=${from}-` } : {}, signal);
        if (res.statusCode !== 200 && res.statusCode !== 206) return fail(await readReply(res, offer.id));
        if (res.headers[BLOB_HEADERS.sha256] !== offer.sha256 || Number(res.headers[BLOB_HEADERS.size]) !== offer.size) {
          res.destroy();
          return fail(failure('bad_request', `blob ${offer.id}: the coordinator serves other bytes than it offered`));
        }
        const stored = await this.receive(res, inbox, offer.id, from);
        if (!stored.ok) return fail(stored);
        if (inbox.progress(offer.id)?.received === offer.size) return inbox.finish(offer.id);
        throw new CutError(`blob ${offer.id}: the answer ended early`);
      } catch (err) {
        const gaveUp = this.gaveUp(err, attempt, signal, `fetching blob ${offer.id}`);
        if (gaveUp) return fail(failure(gaveUp.code, gaveUp.message));
      }
      await this.pause();
    }
  }

  /** Uploads `bytes` as a new blob and resolves once the coordinator has it, verified. Rejects with `TransferError`. */
  async put(bytes: Uint8Array, signal: AbortSignal): Promise<SentBlob> {
    const id = randomUUID();
    const started = performance.now();
    const size = bytes.byteLength;
    const sha256 = knownSha256(bytes);
    const sent = { bytes: 0 };
    let from = 0;
    let damaged = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const range: Record<string, string> = from > 0 ? { 'content-range': `bytes ${from}-${size - 1}/${size}` } : {};
        const headers = { ...range, expect: '100-continue', 'content-type': 'application/octet-stream', 'content-length': String(size - from), [BLOB_HEADERS.size]: String(size), [BLOB_HEADERS.sha256]: sha256 };
        const reply = await readReply(await this.send('PUT', id, headers, signal, (req) => void writeSlices(req, bytes.subarray(from), (n) => (sent.bytes += n))), id);
        if (reply.ok) return { id, seconds: (performance.now() - started) / 1000, attempts: attempt, bytesSent: sent.bytes };
        const refused = `blob ${id}: upload refused by the coordinator: ${reply.message}`;
        if (reply.code !== 'hash_mismatch') throw new TransferError(reply.code, refused);
        // Damaged on the way (the coordinator dropped it): sent again from the start, a bounded number of times.
        if (++damaged >= DEFAULT_SEND_ATTEMPTS) throw new TransferError(reply.code, `${refused} (sent ${damaged} times, damaged each time)`);
        from = 0;
      } catch (err) {
        if (err instanceof TransferError) throw err;
        const gaveUp = this.gaveUp(err, attempt, signal, `uploading blob ${id}`);
        if (gaveUp) throw gaveUp;
        await this.pause();
        const held = await this.held(id, signal).catch(() => null);
        if (held?.complete) return { id, seconds: (performance.now() - started) / 1000, attempts: attempt, bytesSent: sent.bytes };
        from = held?.received ?? 0;
      }
    }
  }

  /** What the coordinator holds of upload `id` (HEAD), or null when it holds none. */
  private async held(id: string, signal: AbortSignal): Promise<{ received: number; complete: boolean } | null> {
    const res = await this.send('HEAD', id, {}, signal);
    res.resume();
    if (res.statusCode !== 200) return null;
    const received = Number(res.headers[BLOB_HEADERS.received]);
    return Number.isSafeInteger(received) && received >= 0 ? { received, complete: res.headers[BLOB_HEADERS.complete] === 'true' } : null;
  }

  /** Why to stop after a failed request (a `TransferError`), or null to continue the blob. */
  private gaveUp(err: unknown, attempt: number, signal: AbortSignal, what: string): TransferError | null {
    if (signal.aborted) return new TransferError('disconnected', `${what}: the connection to the coordinator was lost`);
    if (!(err instanceof CutError)) return new TransferError('internal', `${what}: ${(err as Error).message}`);
    const attempts = this.o.attempts ?? 5;
    return attempt >= attempts ? new TransferError('incomplete', `${what}: cut ${attempts} times, last: ${err.message}`) : null;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.o.retryDelayMs ?? 500));
  }

  /** Copies the body of `res` into the inbox from `from` on; resolves when it ends, or with the inbox's refusal. */
  private receive(res: IncomingMessage, inbox: BlobInbox, id: string, from: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let at = from;
      res.on('data', (data: Buffer) => {
        const appended = inbox.append(id, data, at);
        at += data.byteLength;
        if (!appended.ok) {
          res.destroy();
          resolve(appended);
        }
      });
      res.on('end', () => resolve({ ok: true }));
      res.on('error', (err) => reject(new CutError(err.message)));
      res.on('aborted', () => reject(new CutError('the answer was cut')));
    });
  }

  /**
   * Sends one request (`write` writes its body once the coordinator lets it) and resolves
   * with the answer's head. A failure on the way rejects with `CutError`.
   */
  private send(method: string, id: string, headers: Record<string, string>, signal: AbortSignal, write?: (req: ClientRequest) => void): Promise<IncomingMessage> {
    const session = this.o.session();
    if (session === undefined || signal.aborted) return Promise.reject(new CutError('not connected'));
    return new Promise((resolve, reject) => {
      const options: RequestOptions = { method, agent: this.agent, signal, headers: { ...headers, authorization: `Bearer ${this.o.token}`, [BLOB_HEADERS.session]: session } };
      const req = this.request(blobUrl(this.o.url, id), options);
      const idleMs = this.o.idleTimeoutMs();
      req.setTimeout(idleMs, () => req.destroy(new Error(`no bytes moved for ${idleMs} ms`)));
      req.on('error', (err) => reject(new CutError(err.message)));
      req.on('response', (res) => {
        res.setTimeout(idleMs, () => res.destroy(new Error(`no bytes moved for ${idleMs} ms`)));
        resolve(res);
      });
      if (write) req.on('continue', () => write(req));
      else req.end();
    });
  }
}

/** The JSON reply of a blob request, bounded; a malformed one is a `bad_request` failure. */
async function readReply(res: IncomingMessage, id: string): Promise<Reply> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    length += chunk.byteLength;
    if (length > MAX_BLOB_ANSWER_BYTES) {
      res.destroy();
      return failure('bad_request', `blob ${id}: the coordinator's answer (HTTP ${res.statusCode}) exceeds ${MAX_BLOB_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return failure('bad_request', `blob ${id}: the coordinator answered HTTP ${res.statusCode} without a JSON reply`);
  }
  const reply = replySchema.safeParse(parsed);
  return reply.success ? reply.data : failure('bad_request', `blob ${id}: malformed reply (HTTP ${res.statusCode}): ${describeIssues(reply.error)}`);
}
