/**
 * Raw requests to the coordinator's blob endpoints (server/net/blob-routes.ts), as a test
 * or a hostile client makes them: any headers, any body, cut or trickled at will.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { BLOB_HEADERS } from '../../shared/blob-http.js';
import { sha256Hex } from '../../shared/transfer.js';
import { TEST_TOKEN } from './coordinator.js';

export interface BlobAnswer {
  /** 0 when the connection was cut (by the test, or closed by the coordinator) before an answer. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the coordinator asked for the body (100 Continue). */
  continued: boolean;
}

export interface BlobRequest {
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** The clients' token by default; null: none. */
  token?: string | null;
  /** The socket.io id of the connection the request belongs to. */
  session?: string;
  /** Ask `Expect: 100-continue` and write the body only once continued. */
  expect?: boolean;
  /** Write this many bytes of the body, then drop the connection. */
  cutAfter?: number;
  /** Write the body in pieces of `bytes`, one every `everyMs` (a slow link). */
  trickle?: { bytes: number; everyMs: number };
  /** Write this many bytes of the body, then nothing more (a stalled link): resolves when the coordinator answers or closes. */
  stallAfter?: number;
}

export { sha256Hex };

/** One request to `<url>/blobs/<id>`, on a fresh connection (a kept-alive one may be closed between two requests of a slow test). */
export function blobRequest(url: string, method: string, id: string, o: BlobRequest = {}): Promise<BlobAnswer> {
  return new Promise<BlobAnswer>((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TEST_TOKEN}`;
    if (o.session) headers[BLOB_HEADERS.session] = o.session;
    if (o.expect) headers.expect = '100-continue';
    let continued = false;
    const cut = () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), continued });
    const req = request(`${url}/blobs/${id}`, { method, headers, agent: false });
    req.on('error', (err) => (o.cutAfter !== undefined || o.stallAfter !== undefined ? cut() : reject(err)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), continued }));
      res.on('error', cut);
    });
    const write = () => {
      const body = o.body ?? new Uint8Array(0);
      if (o.cutAfter !== undefined) {
        req.write(body.subarray(0, o.cutAfter), () => setTimeout(() => req.destroy(), 50));
        setTimeout(cut, 200);
      } else if (o.stallAfter !== undefined) {
        req.write(body.subarray(0, o.stallAfter));
        req.on('close', cut);
      } else if (o.trickle) {
        const { bytes, everyMs } = o.trickle;
        let at = 0;
        const next = () => {
          if (req.destroyed) return;
          const piece = body.subarray(at, at + bytes);
          at += piece.byteLength;
          if (at >= body.byteLength) return void req.end(piece);
          req.write(piece);
          setTimeout(next, everyMs);
        };
        next();
      } else req.end(o.body);
    };
    if (o.expect) req.on('continue', () => ((continued = true), write()));
    else write();
  });
}

/** The JSON reply of an answer. */
export const blobReply = (a: BlobAnswer): unknown => JSON.parse(a.body.toString('utf8')) as unknown;

/** The headers of a PUT of `bytes` (from offset `from` on: a continuation). */
export const putHeaders = (bytes: Uint8Array, from = 0): Record<string, string> => ({
  [BLOB_HEADERS.size]: String(bytes.byteLength),
  [BLOB_HEADERS.sha256]: sha256Hex(bytes),
  'content-length': String(bytes.byteLength - from),
  ...(from > 0 ? { 'content-range': `bytes ${from}-${bytes.byteLength - 1}/${bytes.byteLength}` } : {}),
});
