/**
 * The coordinator's blob endpoints (server/net/blob-routes.ts, shared/blob-http.ts), asked
 * with raw HTTP requests beside a raw registered socket.io client: the token and the
 * connection are checked, an upload over the bound is refused before its body, a cut upload
 * continues from the bytes that arrived, and an offered blob is served from any offset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { BLOB_HEADERS, type BlobOffer } from '../../shared/blob-http.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { blobReply as json, blobRequest, putHeaders, sha256Hex as sha256, type BlobRequest } from '../support/blob-request.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { tinyScenario } from '../support/scenario.js';
import { waitUntil } from '../support/wait.js';

const scenario = tinyScenario();
const [trainTask, secondTask] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });

describe('blob endpoints', () => {
  let coordinator: Coordinator | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.close();
    await coordinator?.close();
    coordinator = socket = undefined;
  });

  /** A raw registered client; `offers` collects the blobs offered to it (acknowledged when `accept`). */
  const rawClient = async (accept = true) => {
    const s = io(coordinator!.url, { auth: { token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'] });
    socket = s;
    const offers: BlobOffer[] = [];
    s.on('blob:offer', (offer: BlobOffer, ack: (reply: unknown) => void) => {
      offers.push(offer);
      if (accept) ack({ ok: true });
    });
    s.on('task:assign', (_: unknown, ack: (reply: unknown) => void) => ack({ ok: true }));
    expect(await s.timeout(30_000).emitWithAck('hello', { clientId: 'raw', pid: 1, hostname: 'test' })).toMatchObject({ ok: true });
    return { session: s.id!, offers };
  };

  /** A client running a train task, so that it may upload. */
  const uploader = async () => {
    const raw = await rawClient();
    void (await coordinator!.registry.acquire()).runTask(trainTask, null, null).catch(() => undefined);
    await waitUntil(() => coordinator!.registry.list()[0].holds?.kind === 'train', 'the train task runs');
    return raw;
  };

  const ask = (method: string, id: string, o: BlobRequest = {}) => blobRequest(coordinator!.url, method, id, o);

  it('refuses a missing or wrong token and a request of no live connection', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await rawClient();
    const bytes = new Uint8Array(1000);
    for (const token of [null, 'wrong-token']) {
      const a = await ask('GET', 'x', { token, session });
      expect(a.status).toBe(401);
      expect(json(a)).toMatchObject({ ok: false, code: 'unauthorized' });
      expect((await ask('HEAD', 'x', { token, session })).status).toBe(401);
      // An upload without the token is refused before its body.
      const put = await ask('PUT', 'x', { token, session, headers: putHeaders(bytes), body: bytes, expect: true });
      expect([put.status, put.continued]).toEqual([401, false]);
      expect(json(put)).toMatchObject({ ok: false, code: 'unauthorized' });
    }
    const a = await ask('GET', 'x', { session: 'no-such-connection' });
    expect(a.status).toBe(409);
    expect(json(a)).toMatchObject({ ok: false, code: 'not_ready', message: expect.stringContaining(BLOB_HEADERS.session) });
  });

  it('answers an unknown id with 404, on GET, HEAD and a continued PUT', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await uploader();
    const get = await ask('GET', 'nothing', { session });
    expect(get.status).toBe(404);
    expect(json(get)).toEqual({ ok: false, code: 'unknown_blob', message: 'blob nothing is not offered to this connection' });
    expect((await ask('HEAD', 'nothing', { session })).status).toBe(404);
    const bytes = new Uint8Array(100);
    const put = await ask('PUT', 'nothing', { session, headers: putHeaders(bytes, 50), body: bytes.subarray(50), expect: true });
    expect(put.continued).toBe(false);
    expect(json(put)).toMatchObject({ ok: false, code: 'unknown_blob', message: expect.stringMatching(/blob nothing: upload from offset 50 refused/) });
  });

  it('refuses an upload over the bound before its body, naming the blob and the bound; and one from a client with no train task', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await rawClient();
    const small = new Uint8Array(10);
    const idle = await ask('PUT', 'early', { session, headers: putHeaders(small), body: small, expect: true });
    expect(idle.continued).toBe(false);
    expect(json(idle)).toEqual({ ok: false, code: 'not_ready', message: 'blob early: client raw runs no task: nothing to upload' });
    void (await coordinator.registry.acquire()).runTask(trainTask, null, null).catch(() => undefined);
    await waitUntil(() => coordinator!.registry.list()[0].holds?.kind === 'train', 'the train task runs');
    const huge = new Uint8Array(2_000_000);
    const a = await ask('PUT', 'huge', { session, headers: putHeaders(huge), body: huge, expect: true });
    expect(a.continued).toBe(false);
    expect(a.status).toBe(413);
    expect(json(a)).toEqual({ ok: false, code: 'too_large', message: 'blob huge: 2000000 bytes exceeds the limit of 1000000 bytes' });
  });

  it('refuses garbage upload headers and an absurd size before the body, naming what is wrong', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await uploader();
    const bytes = new Uint8Array(100).fill(9);
    const refused = async (headers: Record<string, string>) => {
      const a = await ask('PUT', 'garbage', { session, headers: { ...putHeaders(bytes), ...headers }, body: bytes, expect: true });
      expect(a.continued).toBe(false);
      return json(a);
    };
    expect(await refused({ [BLOB_HEADERS.size]: 'lots' })).toEqual({ ok: false, code: 'bad_request', message: `blob garbage: ${BLOB_HEADERS.size} must give the blob's bytes` });
    expect(await refused({ [BLOB_HEADERS.sha256]: 'not-a-hash' })).toMatchObject({ ok: false, code: 'bad_request', message: expect.stringMatching(/^blob: sha256: expected lowercase hex SHA-256/) });
    expect(await refused({ 'content-range': 'bytes 5-4/100' })).toMatchObject({ ok: false, code: 'bad_request', message: 'blob garbage: content-range must be bytes N-99/100' });
    expect(await refused({ [BLOB_HEADERS.size]: '1000000000000000', 'content-length': '1000000000000000' })).toEqual({
      ok: false,
      code: 'too_large',
      message: 'blob garbage: 1000000000000000 bytes exceeds the limit of 1000000 bytes',
    });
    // Still serving: a proper upload goes through.
    const ok = await ask('PUT', 'proper', { session, headers: putHeaders(bytes), body: bytes, expect: true });
    expect([ok.status, json(ok)]).toEqual([200, { ok: true }]);
  });

  it('keeps a truncated upload, says how much arrived, and completes it from that offset only', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await uploader();
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
    await ask('PUT', 'state', { session, headers: putHeaders(bytes), body: bytes, expect: true, cutAfter: 120_000 });
    const head = await waitUntil(async () => {
      const h = await ask('HEAD', 'state', { session });
      return h.headers[BLOB_HEADERS.received] === '120000' && h;
    }, 'the coordinator holds the first 120000 bytes');
    expect(head.headers[BLOB_HEADERS.complete]).toBe('false');
    const wrong = await ask('PUT', 'state', { session, headers: putHeaders(bytes, 100_000), body: bytes.subarray(100_000), expect: true });
    expect(wrong.status).toBe(409);
    expect(wrong.headers[BLOB_HEADERS.received]).toBe('120000');
    expect(json(wrong)).toMatchObject({ ok: false, code: 'out_of_order', message: expect.stringMatching(/has 120000 bytes here: continue from there/) });
    const rest = await ask('PUT', 'state', { session, headers: putHeaders(bytes, 120_000), body: bytes.subarray(120_000), expect: true });
    expect([rest.status, json(rest)]).toEqual([200, { ok: true }]);
    const done = await ask('HEAD', 'state', { session });
    expect([done.headers[BLOB_HEADERS.received], done.headers[BLOB_HEADERS.complete]]).toEqual(['300000', 'true']);
  });

  it('refuses a whole upload whose hash does not match, and a body longer than announced', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session } = await uploader();
    const bytes = new Uint8Array(1000).fill(3);
    const bad = await ask('PUT', 'damaged', { session, headers: { ...putHeaders(bytes), [BLOB_HEADERS.sha256]: '0'.repeat(64) }, body: bytes });
    expect(bad.status).toBe(400);
    expect(json(bad)).toMatchObject({ ok: false, code: 'hash_mismatch' });
    const long = await ask('PUT', 'long', { session, headers: { ...putHeaders(bytes), 'content-length': '1001' }, body: new Uint8Array(1001) });
    expect(json(long)).toMatchObject({ ok: false, code: 'bad_request', message: expect.stringMatching(/content-length must be the 1000 bytes/) });
  });

  it('fails the hand-off with timeout when the client takes no bytes of an offer for ackTimeoutMs', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000, ackTimeoutMs: 1000 });
    const { offers } = await rawClient(false); // never GETs, never answers the offer
    const state = new Uint8Array(5000).fill(1);
    const err = await (await coordinator.registry.acquire()).runTask(secondTask, state, null).catch((e: unknown) => e);
    expect(offers).toHaveLength(1);
    expect(err).toMatchObject({ code: 'timeout', message: `blob ${offers[0].id}: the client took no bytes for 1000 ms (0 of ${offers[0].size} sent)` });
  });

  it('serves an offered blob whole and from an offset, until the offer is acknowledged', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { session, offers } = await rawClient(false);
    const state = new Uint8Array(3_000_000).map((_, i) => (i * 13) & 255);
    void (await coordinator.registry.acquire()).runTask(secondTask, state, null).catch(() => undefined);
    const offer = await waitUntil(() => offers[0], 'a blob is offered');
    const whole = await ask('GET', offer.id, { session });
    expect(whole.status).toBe(200);
    expect(whole.body.byteLength).toBe(offer.size);
    expect(sha256(whole.body)).toBe(offer.sha256);
    expect(whole.headers[BLOB_HEADERS.sha256]).toBe(offer.sha256);
    const tail = await ask('GET', offer.id, { session, headers: { range: 'bytes=1000000-' } });
    expect(tail.status).toBe(206);
    expect(tail.headers['content-range']).toBe(`bytes 1000000-${offer.size - 1}/${offer.size}`);
    expect(Buffer.compare(tail.body, whole.body.subarray(1_000_000))).toBe(0);
    expect((await ask('GET', offer.id, { session, headers: { range: 'bytes=0-10' } })).status).toBe(416);
  });
});
