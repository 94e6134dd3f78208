/**
 * The coordinator's blob endpoints (the protocol is in shared/blob-http.ts): a client GETs
 * the blobs offered to its connection and PUTs its result blobs into its connection's
 * inbox. Each request must carry the clients' token (failures counted per address, as at
 * the socket.io handshake) and the id of a live connection; an upload is refused before its
 * first byte when it is over the inbox's bounds or over what the client's running task
 * returns (or the client has nothing to upload), and is hashed as it arrives. A cut upload
 * waits in the inbox (up to its idle timeout) to be continued from the bytes that arrived.
 * A request is bounded by inactivity (`idleTimeoutMs`), never by its age: a slow upload
 * that keeps moving completes.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BLOB_HEADERS, BLOB_PATH, blobStatus, parseContentRangeStart, parseRangeStart, writeSlices } from '../../shared/blob-http.js';
import type { BlobInbox } from '../../shared/blob-inbox.js';
import type { Logger } from '../../shared/log.js';
import { failure, type Failure, type Reply } from '../../shared/replies.js';
import type { AuthLimiter } from './auth-limiter.js';
import { tokenMatches } from './auth.js';
import type { BlobOutbox } from './blob-outbox.js';
import type { HttpRoute } from './http-routes.js';
import { bearer } from './viewer-gate.js';

/** One connection's blobs, as the endpoints see them. */
export interface BlobSession {
  inbox: BlobInbox;
  outbox: BlobOutbox;
  /** Null until the client said hello; then told of every upload's bytes (they are work in progress). */
  uploader(): { noteUpload(): void } | null;
  /** Hears each refusal of a request of this connection (`event`: blob:get, blob:head, blob:put), to log it. */
  refused?(event: string, reply: Failure): void;
}

/** Who hears a response's refusal (its connection's session), by response. */
const refusalListeners = new WeakMap<ServerResponse, (reply: Failure) => void>();

export interface BlobRouteOptions {
  token: string;
  limiter: AuthLimiter;
  /** Live connections by socket.io id. */
  sessions: ReadonlyMap<string, BlobSession>;
  logger: Logger;
  /** Told of each TCP connection that passed the token check. */
  onAdmitted?: (socket: Socket) => void;
  /**
   * How long an admitted blob request may go without a byte moving (read or written)
   * before its connection is closed: a slow transfer that keeps moving is never cut, a
   * stalled one frees its descriptor within this bound.
   */
  idleTimeoutMs: number;
}

/**
 * Serves the blob endpoints on `http` and returns the route for `attachRoutes`. Uploads ask
 * `Expect: 100-continue`, which Node hands to a `checkContinue` listener instead of the
 * request listeners: those are answered here (others are continued and passed on).
 */
export function attachBlobRoutes(http: HttpServer, o: BlobRouteOptions): HttpRoute {
  const route: HttpRoute = (req, res, url) => {
    if (!url.pathname.startsWith(BLOB_PATH)) return false;
    void serve(req, res, url, o, false);
    return true;
  };
  http.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://coordinator');
    if (url.pathname.startsWith(BLOB_PATH)) return void serve(req, res, url, o, true);
    res.writeContinue();
    http.emit('request', req, res);
  });
  return route;
}

async function serve(req: IncomingMessage, res: ServerResponse, url: URL, o: BlobRouteOptions, expectsContinue: boolean): Promise<void> {
  const session = await authorize(req, res, o);
  if (!session) return;
  const event = `blob:${(req.method ?? '?').toLowerCase().slice(0, 10)}`;
  refusalListeners.set(res, (reply) => session.refused?.(event, reply));
  let id: string;
  try {
    id = decodeURIComponent(url.pathname.slice(BLOB_PATH.length));
  } catch {
    return answer(res, failure('bad_request', `blob path ${url.pathname.slice(0, 200)} is not a blob id`));
  }
  if (req.method === 'GET') return download(req, res, id, session);
  if (req.method === 'HEAD') return progress(res, id, session);
  if (req.method === 'PUT') return upload(req, res, id, session, expectsContinue);
  answer(res, failure('bad_request', `blob ${id}: method ${req.method} not allowed (GET, HEAD or PUT)`), { allow: 'GET, HEAD, PUT' }, 405);
}

/** The session a request belongs to, or null once it has been answered with a refusal. */
async function authorize(req: IncomingMessage, res: ServerResponse, o: BlobRouteOptions): Promise<BlobSession | null> {
  const address = req.socket.remoteAddress ?? '?';
  const locked = o.limiter.check(address);
  if (locked.locked) {
    answer(res, failure('locked_out', `too many failed tokens from ${address}: locked out for ${locked.secondsLeft} s more`), {}, undefined, true);
    return null;
  }
  const given = bearer(req.headers.authorization);
  if (given === null || !tokenMatches(given, o.token)) {
    const { delayMs, first } = o.limiter.fail(address);
    if (first) o.logger.warn({ address, code: 'unauthorized' }, 'blob request refused: missing or invalid token');
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    answer(res, failure('unauthorized', 'blob requests need the clients\' token (Authorization: Bearer <token>)'), { 'www-authenticate': 'Bearer' }, undefined, true);
    return null;
  }
  o.onAdmitted?.(req.socket);
  // Inactivity, not the request's age, bounds a transfer (the server sets no requestTimeout).
  res.setTimeout(o.idleTimeoutMs, () => {
    o.logger.warn({ address, timeoutMs: o.idleTimeoutMs }, `blob request ${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)} ended: no byte moved for ${o.idleTimeoutMs} ms`);
    req.socket.destroy();
  });
  const sessionId = req.headers[BLOB_HEADERS.session];
  const session = typeof sessionId === 'string' ? o.sessions.get(sessionId) : undefined;
  if (!session) {
    answer(res, failure('not_ready', `blob requests belong to a live connection: ${BLOB_HEADERS.session} must be its socket.io id`));
    return null;
  }
  return session;
}

/** GET: the offered blob from the asked offset, in slices the socket drains one by one. */
async function download(req: IncomingMessage, res: ServerResponse, id: string, session: BlobSession): Promise<void> {
  const blob = session.outbox.get(id);
  if (!blob) return answer(res, failure('unknown_blob', `blob ${id} is not offered to this connection`));
  const size = blob.bytes.byteLength;
  const start = parseRangeStart(req.headers.range);
  if (start === null || start > size) return answer(res, failure('bad_request', `blob ${id}: range ${String(req.headers.range).slice(0, 100)} is not bytes=N- within its ${size} bytes`), { 'content-range': `bytes */${size}` }, 416);
  session.outbox.track(res);
  res.writeHead(start > 0 ? 206 : 200, {
    'content-type': 'application/octet-stream',
    'content-length': String(size - start),
    'cache-control': 'no-store',
    [BLOB_HEADERS.size]: String(size),
    [BLOB_HEADERS.sha256]: blob.sha256,
    ...(start > 0 ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  await writeSlices(res, blob.bytes.subarray(start), (n) => blob.onSent(n));
}

/** HEAD: how much of an upload has arrived (and whether it is complete), to continue from there. */
function progress(res: ServerResponse, id: string, session: BlobSession): void {
  const held = session.inbox.progress(id);
  if (!held) return answer(res, failure('unknown_blob', `blob ${id} is not being received on this connection`));
  res.writeHead(200, { 'cache-control': 'no-store', [BLOB_HEADERS.received]: String(held.received), [BLOB_HEADERS.complete]: String(held.complete) });
  res.end();
}

/** PUT: the body into the connection's inbox, from the offset it continues. */
function upload(req: IncomingMessage, res: ServerResponse, id: string, session: BlobSession, expectsContinue: boolean): void {
  const uploader = session.uploader();
  if (!uploader) return answer(res, failure('not_ready', 'send hello first'), {}, undefined, true);
  const size = Number(req.headers[BLOB_HEADERS.size]);
  const sha256 = req.headers[BLOB_HEADERS.sha256];
  const length = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(size) || size < 0) return answer(res, failure('bad_request', `blob ${id}: ${BLOB_HEADERS.size} must give the blob's bytes`), {}, undefined, true);
  const offset = parseContentRangeStart(req.headers['content-range'], size);
  if (offset === null) return answer(res, failure('bad_request', `blob ${id}: content-range must be bytes N-${size - 1}/${size}`), {}, undefined, true);
  if (length !== size - offset) return answer(res, failure('bad_request', `blob ${id}: content-length must be the ${size - offset} bytes from offset ${offset} to the end`), {}, undefined, true);
  const held = session.inbox.progress(id);
  const opened = offset === 0 && !held ? session.inbox.open({ id, size, sha256 }) : ({ ok: true } as Reply);
  if (!opened.ok) return answer(res, opened, {}, undefined, true);
  const received = session.inbox.progress(id);
  if (!received || received.complete || received.received !== offset) {
    const why = !received ? `is not being received (send it from offset 0)` : received.complete ? 'has arrived whole already' : `has ${received.received} bytes here: continue from there`;
    return answer(res, failure(received ? 'out_of_order' : 'unknown_blob', `blob ${id}: upload from offset ${offset} refused: it ${why}`), received ? { [BLOB_HEADERS.received]: String(received.received) } : {}, undefined, true);
  }
  if (expectsContinue) res.writeContinue();
  let at = offset;
  let refused = false;
  req.on('data', (data: Buffer) => {
    if (refused) return;
    const appended = session.inbox.append(id, data, at);
    if (!appended.ok) {
      refused = true;
      return answer(res, appended, {}, undefined, true);
    }
    at += data.byteLength;
    uploader.noteUpload();
  });
  req.on('end', () => {
    if (refused) return;
    // The body's length was checked: a short one is a cut connection, and there is nobody to answer.
    if (at < size) return;
    answer(res, session.inbox.finish(id));
  });
}

/**
 * Answers with `reply` as JSON, the status following its code. `close`: the connection is
 * closed after the answer, so that a body not read (a refused upload) is not read later.
 */
function answer(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}, status?: number, close = false): void {
  if (!reply.ok) refusalListeners.get(res)?.(reply);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(reply);
  res.writeHead(status ?? (reply.ok ? 200 : blobStatus(reply.code)), {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(body);
}
