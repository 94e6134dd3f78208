/**
 * The client's blob link (client/blob-http.ts) against a stand-in coordinator that cuts the
 * first request of each blob midway: a fetch continues with `Range` from the bytes that
 * arrived, an upload asks how much arrived (HEAD) and continues from there, and both end
 * with the whole blob verified. A lost connection (the signal) ends them with `disconnected`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobLink } from '../../client/blob-http.js';
import { BLOB_HEADERS } from '../../shared/blob-http.js';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { TransferError } from '../../shared/transfer.js';

const TOKEN = 'link-token';
const SESSION = 'session-1';
const CUT_AT = 100_000;
const blob = new Uint8Array(400_000).map((_, i) => (i * 31) & 255);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Seen {
  method: string;
  range?: string;
  contentRange?: string;
  authorized: boolean;
}

/** A coordinator stand-in serving `blob` as "b" and taking an upload, each cut once at CUT_AT. */
async function standIn(): Promise<{ server: Server; url: string; seen: Seen[]; uploaded: () => Buffer }> {
  const seen: Seen[] = [];
  let received = Buffer.alloc(0);
  let cutGet = false;
  let cutPut = false;
  const server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method!, range: req.headers.range, contentRange: req.headers['content-range'], authorized: req.headers.authorization === `Bearer ${TOKEN}` && req.headers[BLOB_HEADERS.session] === SESSION });
    if (req.method === 'GET') {
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? 'bytes=0-')![1]);
      res.writeHead(from > 0 ? 206 : 200, { 'content-length': String(blob.byteLength - from), [BLOB_HEADERS.size]: String(blob.byteLength), [BLOB_HEADERS.sha256]: sha256(blob) });
      if (!cutGet) {
        cutGet = true;
        res.write(blob.subarray(0, CUT_AT), () => setTimeout(() => res.socket!.destroy(), 20));
        return;
      }
      res.end(blob.subarray(from));
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { [BLOB_HEADERS.received]: String(received.byteLength), [BLOB_HEADERS.complete]: 'false' });
      return res.end();
    }
    req.on('data', (data: Buffer) => {
      if (!cutPut && received.byteLength + data.byteLength >= CUT_AT) {
        cutPut = true;
        received = Buffer.concat([received, data.subarray(0, CUT_AT - received.byteLength)]);
        req.socket.destroy();
        return;
      }
      received = Buffer.concat([received, data]);
    });
    req.on('end', () => {
      const ok = received.byteLength === Number(req.headers[BLOB_HEADERS.size]) && sha256(received) === req.headers[BLOB_HEADERS.sha256];
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { ok: true } : { ok: false, code: 'hash_mismatch', message: 'differs' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, uploaded: () => received };
}

describe('client blob link', () => {
  let server: Server | undefined;
  let link: BlobLink | undefined;
  afterEach(async () => {
    link?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = link = undefined;
  });

  const start = async () => {
    const s = await standIn();
    server = s.server;
    link = new BlobLink({ url: s.url, token: TOKEN, session: () => SESSION, idleTimeoutMs: () => 10_000, retryDelayMs: 10 });
    return s;
  };

  it('fetches an offered blob across a cut, asking only for the bytes that had not arrived', async () => {
    const { seen } = await start();
    const inbox = new BlobInbox();
    const reply = await link!.fetch({ id: 'b', size: blob.byteLength, sha256: sha256(blob) }, inbox, new AbortController().signal);
    expect(reply).toEqual({ ok: true });
    expect(Buffer.compare(inbox.take('b').bytes, blob)).toBe(0);
    expect(seen.map((s) => [s.method, s.range, s.authorized])).toEqual([
      ['GET', undefined, true],
      ['GET', `bytes=${CUT_AT}-`, true],
    ]);
  });

  it('refuses an offer over the inbox bound without asking for it', async () => {
    const { seen } = await start();
    const inbox = new BlobInbox({ maxBlobBytes: 1000 });
    expect(await link!.fetch({ id: 'b', size: blob.byteLength, sha256: sha256(blob) }, inbox, new AbortController().signal)).toMatchObject({ ok: false, code: 'too_large', message: `blob b: ${blob.byteLength} bytes exceeds the limit of 1000 bytes` });
    expect(seen).toEqual([]);
  });

  it('uploads across a cut, continuing from the bytes the coordinator holds', async () => {
    const { seen, uploaded } = await start();
    const sent = await link!.put(blob, new AbortController().signal);
    expect(Buffer.compare(uploaded(), blob)).toBe(0);
    expect(sent.attempts).toBe(2);
    expect(seen.map((s) => [s.method, s.contentRange, s.authorized])).toEqual([
      ['PUT', undefined, true],
      ['HEAD', undefined, true],
      ['PUT', `bytes ${CUT_AT}-${blob.byteLength - 1}/${blob.byteLength}`, true],
    ]);
  });

  it('gives up with disconnected once the connection is lost', async () => {
    await start();
    const lost = new AbortController();
    lost.abort();
    const err = await link!.put(blob, lost.signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect(err).toMatchObject({ code: 'disconnected' });
  });
});
