/**
 * The client's side of the protocol: connect with the token, say hello, and serve tasks:
 * fetch the state and replay blobs the coordinator offers, run the engine, upload the
 * result blobs and answer `task:result`. Usable in-process with any `Engine` (tests).
 */
import { hostname } from 'node:os';
import { io } from 'socket.io-client';
import { silentLogger, type Logger } from '../shared/log.js';
import { describeIssues, failure, helloReplySchema, PROTOCOL_VERSION, taskAssignSchema, type ErrorCode, type Reply, type StreamSummary } from '../shared/protocol.js';
import { BlobInbox, DEFAULT_BLOB_IDLE_TIMEOUT_MS } from '../shared/blob-inbox.js';
import { DEFAULT_ACK_TIMEOUT_MS } from '../shared/transfer.js';
import { blobOfferSchema } from '../shared/blob-http.js';
import { warmSocketReads } from '../shared/socket-read-warmup.js';
import { BlobLink } from './blob-http.js';
import { connectErrorCause, isCertificateProblem } from './connect-error.js';
import { TaskRunner, type ClientSocket } from './task-runner.js';
import type { Engine } from './engine/types.js';

export type { ClientSocket };

/** Why a client could not join (or stay in) a session. */
export class ClientStartError extends Error {
  constructor(
    readonly code: ErrorCode | 'unreachable' | 'untrusted_certificate',
    message: string,
  ) {
    super(message);
    this.name = 'ClientStartError';
  }
}

export interface StartClientOptions {
  /** Coordinator URL, e.g. http://127.0.0.1:4000 (https:// when it serves TLS). */
  url: string;
  token: string;
  /** PEM certificate(s) to trust for an https coordinator (e.g. its self-signed certificate). */
  ca?: string;
  engine: Engine;
  /** Id to register under (the coordinator may add a suffix); default `<hostname>-<pid>`. */
  clientId?: string;
  /** Backend the engine loaded, reported in hello and results.json. */
  backend?: string;
  /** Why the engine chose that backend. */
  backendReason?: string;
  /** The GPU(s) this process was given, reported in hello and results.json. */
  device?: string;
  /** The chunks whose data this client holds (default: every chunk). */
  chunks?: number[];
  logger?: Logger;
  /** How long any acknowledgement may take (default 30 s). */
  ackTimeoutMs?: number;
  /** Attempts to reach the coordinator before giving up (default 10). */
  reconnectionAttempts?: number;
  /** Smallest interval between two progress reports (default 500 ms). */
  progressIntervalMs?: number;
}

export interface ClientHandle {
  /** The id the coordinator registered this client under. */
  readonly clientId: string;
  /** Resolves when the coordinator ends the session; rejects with `ClientStartError` on a fatal error. */
  readonly done: Promise<void>;
  /** Leaves the session. */
  close(): Promise<void>;
  /** Bytes of memory ready for the next state to arrive in (given back by the last task, or readied at join). */
  stateMemoryBytes(): number;
}

/** Handshake failures that retrying cannot fix. */
const FATAL_CODES: readonly string[] = ['unauthorized', 'locked_out', 'version_mismatch', 'bad_request'];

/** Connects to a coordinator and resolves once it has accepted this client's hello. */
export function startClient(options: StartClientOptions): Promise<ClientHandle> {
  const log = options.logger ?? silentLogger();
  const ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  const requestedId = options.clientId ?? `${hostname()}-${process.pid}`;
  const socket: ClientSocket = io(options.url, {
    auth: { token: options.token, protocolVersion: PROTOCOL_VERSION, clientId: requestedId },
    // The coordinator speaks websocket only: no long-polling sessions to hold open.
    transports: ['websocket'],
    reconnectionAttempts: options.reconnectionAttempts ?? 10,
    reconnectionDelayMax: 5000,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  // A half-received state waits for its next bytes at least as long as the heartbeat (a cut shorter than it is survived).
  const inbox = new BlobInbox({ idleTimeoutMs: () => Math.max(DEFAULT_BLOB_IDLE_TIMEOUT_MS, taskAckTimeoutMs), onExpired: (id, message) => log.warn({ blob: id }, message) });
  // Acknowledgements during a task wait at least the coordinator's heartbeat (told in its hello reply).
  let taskAckTimeoutMs = ackTimeoutMs;
  let session = 0;
  // Blob bytes travel over HTTP beside the socket (shared/blob-http.ts); a transfer belongs to the connection it began on.
  const blobs = new BlobLink({ url: options.url, token: options.token, ...(options.ca ? { ca: options.ca } : {}), session: () => (socket.connected ? socket.id : undefined), idleTimeoutMs: () => taskAckTimeoutMs });
  let connection = new AbortController();
  const registration = reRegistration();
  const runner = new TaskRunner(socket, inbox, options.engine, log, { session: () => session, registered: registration.wait, ackTimeoutMs: () => taskAckTimeoutMs, putBlob: (bytes) => blobs.put(bytes, connection.signal) }, {
    progressIntervalMs: options.progressIntervalMs ?? 500,
  });
  socket.on('blob:offer', (payload: unknown, ack: unknown) => {
    const answer = (reply: Reply) => {
      if (!reply.ok) log.warn({ code: reply.code }, `blob:offer refused: ${reply.message}`);
      if (typeof ack === 'function') ack(reply);
    };
    const offer = blobOfferSchema.safeParse(payload);
    if (!offer.success) return answer(failure('bad_request', `blob:offer: ${describeIssues(offer.error)}`));
    blobs.fetch(offer.data, inbox, connection.signal).then(answer, (err: Error) => answer(failure('internal', `blob:offer: ${err.message}`)));
  });
  socket.on('task:assign', (payload: unknown, ack: unknown) => {
    const reply = (() => {
      const parsed = taskAssignSchema.safeParse(payload);
      if (!parsed.success) return failure('bad_request', `task:assign: ${describeIssues(parsed.error)}`);
      return runner.accept(parsed.data);
    })();
    if (!reply.ok) log.warn({ code: reply.code }, `task:assign refused: ${reply.message}`);
    if (typeof ack === 'function') ack(reply);
  });

  let clientId: string | null = null;
  let closing = false;
  let lastProblem = 'no answer';
  let resolveStart: (handle: ClientHandle) => void;
  let rejectStart: (err: Error) => void;
  let resolveDone: () => void;
  let rejectDone: (err: Error) => void;
  const started = new Promise<ClientHandle>((resolve, reject) => ((resolveStart = resolve), (rejectStart = reject)));
  const done = new Promise<void>((resolve, reject) => ((resolveDone = resolve), (rejectDone = reject)));
  done.catch(() => undefined); // observed by whoever holds the handle
  const close = async () => {
    closing = true;
    registration.settle(false);
    socket.disconnect();
    inbox.clear();
    blobs.close();
    resolveDone();
  };
  const fatal = (err: ClientStartError) => {
    log.error({ code: err.code }, err.message);
    closing = true;
    registration.settle(false);
    socket.disconnect();
    blobs.close();
    rejectStart(err);
    rejectDone(err);
  };

  socket.on('connect', () => {
    connection = new AbortController();
    const hello = { clientId: clientId ?? requestedId, pid: process.pid, hostname: hostname(), ...(options.backend ? { backend: options.backend } : {}), ...(options.backendReason ? { backendReason: options.backendReason } : {}), ...(options.device ? { device: options.device } : {}), ...(options.chunks ? { chunks: options.chunks } : {}) };
    socket
      .timeout(ackTimeoutMs)
      .emitWithAck('hello', hello)
      .then((raw: unknown) => {
        const reply = helloReplySchema.safeParse(raw);
        if (!reply.success) return fatal(new ClientStartError('bad_request', `malformed hello reply: ${describeIssues(reply.error)}`));
        if (!reply.data.ok) return fatal(new ClientStartError(reply.data.code, `coordinator refused hello: ${reply.data.message}`));
        const first = clientId === null;
        clientId = reply.data.clientId;
        taskAckTimeoutMs = Math.max(ackTimeoutMs, reply.data.heartbeatSeconds * 1000);
        // Memory for the run's states, readied while no task runs yet: the first state to
        // arrive does not land in fresh pages, nor do the socket reads that carry it.
        const stateBytes = reply.data.stateBytes;
        if (stateBytes) void inbox.prepare(stateBytes).then(() => warmSocketReads(stateBytes));
        registration.settle(true);
        log.info({ clientId, url: options.url }, first ? 'joined the coordinator' : 'rejoined the coordinator');
        if (first) resolveStart({ clientId, done, close, stateMemoryBytes: () => inbox.spareBytes });
      })
      .catch((err: Error) => {
        // Connected but unregistered would wait forever for work: better to stop and say why.
        if (!closing) fatal(new ClientStartError('timeout', `coordinator did not acknowledge hello: ${err.message}`));
      });
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const code = err.data?.code;
    if (code && FATAL_CODES.includes(code)) return fatal(new ClientStartError(code as ErrorCode, `coordinator at ${options.url} refused the connection: ${err.message}`));
    const cause = connectErrorCause(err);
    if (isCertificateProblem(cause)) {
      const hint = options.ca ? 'the certificate given with --ca does not vouch for it' : 'pass its certificate with --ca FILE (or set NODE_EXTRA_CA_CERTS)';
      return fatal(new ClientStartError('untrusted_certificate', `coordinator at ${options.url} presented a certificate this client does not trust (${cause!.message}): ${hint}`));
    }
    lastProblem = `${err.message}${cause ? ` (${cause.message})` : ''}`;
    log.warn(`cannot reach coordinator at ${options.url}: ${lastProblem}`);
  });
  socket.io.on('reconnect_failed', () =>
    fatal(new ClientStartError('unreachable', `gave up reaching the coordinator at ${options.url} after ${options.reconnectionAttempts ?? 10} attempts (last: ${lastProblem})`)),
  );
  socket.on('disconnect', (reason) => {
    // Blobs of an interrupted assignment will never be claimed; the coordinator re-sends on a new one.
    connection.abort();
    inbox.clear();
    if (closing) return;
    // Whatever was assigned on this connection, the coordinator has failed (and will give elsewhere).
    session++;
    if (reason === 'io server disconnect') {
      log.info('coordinator ended the session');
      closing = true;
      registration.settle(false);
      resolveDone();
      rejectStart(new ClientStartError('disconnected', 'coordinator ended the session before accepting this client'));
    } else {
      registration.reset();
      log.warn({ reason }, 'lost the coordinator; reconnecting');
    }
  });
  return started;
}

/** Whether the client is registered: `wait` resolves true once it is (again), false once it leaves. */
function reRegistration(): { wait(): Promise<boolean>; settle(registered: boolean): void; reset(): void } {
  let settle: (registered: boolean) => void = () => undefined;
  let current = new Promise<boolean>((resolve) => (settle = resolve));
  let left = false;
  return {
    wait: () => current,
    settle: (registered) => {
      left ||= !registered;
      settle(registered);
    },
    reset: () => {
      if (left) return;
      current = new Promise<boolean>((resolve) => (settle = resolve));
    },
  };
}

// The engine's stream description travels as the protocol's StreamSummary: keep them one shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const engineSummaryMatchesProtocol: Same<Awaited<ReturnType<Engine['describeStream']>>, StreamSummary> = true;
void engineSummaryMatchesProtocol;
