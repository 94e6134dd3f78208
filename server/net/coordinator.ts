/**
 * The coordinator's socket.io server (over https when given a certificate): admits clients
 * with the token, registers them on `hello`, routes their events to their `RemoteClient`,
 * and answers anything unknown or malformed with a failure instead of crashing.
 */
import type { ResultCheck } from '../states/state-check.js';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Server } from 'socket.io';
import { silentLogger, type Logger } from '../../shared/log.js';
import {
  CLIENT_EVENTS,
  describeIssues,
  failure,
  helloSchema,
  type ClientToServerEvents,
  type Failure,
  type HelloReply,
  type Reply,
  type ServerToClientEvents,
} from '../../shared/protocol.js';
import type { Progress } from '../../shared/tasks.js';
import { BlobInbox, DEFAULT_BLOB_IDLE_TIMEOUT_MS } from '../../shared/blob-inbox.js';
import { BlobOutbox } from './blob-outbox.js';
import { attachBlobRoutes, type BlobSession } from './blob-routes.js';
import { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_MAX_BLOB_BYTES } from '../../shared/transfer.js';
import { AuthLimiter, type AuthLimiterOptions } from './auth-limiter.js';
import { authMiddleware } from './auth.js';
import { plainClientFields } from './client-text.js';
import { ConnectionGuard, type ConnectionCounts, type ConnectionLimits } from './connection-guard.js';
import { closedForMessageSize, DEFAULT_MAX_MESSAGE_BYTES } from './message-limit.js';
import { ClientRegistry } from '../clients/registry.js';
import { checkTlsCredentials, type TlsCredentials } from './tls.js';
import { RemoteClient, type CoordinatorSocket } from './remote-client.js';
import type { RunEvents } from '../observe/bus.js';
import { RunMetrics } from '../observe/prometheus.js';
import { TaskEvents, type TaskObserver } from '../observe/task-events.js';
import { metricsRoute } from './metrics-endpoint.js';
import { attachRoutes, type HttpRoute } from './http-routes.js';
import type { ViewerGate } from './viewer-gate.js';
import { createDashboard, type Dashboard } from '../observe/dashboard/dashboard.js';
import type { ViewerFeedOptions } from '../observe/dashboard/viewer-feed.js';

export interface CoordinatorOptions {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 for remote clients). */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  /** Shared secret every client must present. */
  token: string;
  logger?: Logger;
  /** How long a task may run on a client (default one hour). */
  stageTimeoutMs?: number;
  /** How long one acknowledgement may take (default 30 s, or the heartbeat bound when that is longer). */
  ackTimeoutMs?: number;
  /** How long an assigned task may show no sign of work before its client is presumed stuck (default: no bound but the stage timeout). */
  progressTimeoutMs?: number;
  /**
   * Largest blob a client may upload (default 2 GiB): the outer cap. Within it, a client
   * may upload only while it runs a train task (the one kind whose result has blobs), and
   * no more than that task returns (server/states/upload-bound.ts). A function is asked at
   * each upload's start.
   */
  maxBlobBytes?: number | (() => number);
  /** Bytes one client's uploads may hold at once, arriving or not yet taken (default 2 GiB). */
  maxHeldBlobBytes?: number;
  /**
   * How long a blob request may go without a byte moving before it is ended, and a
   * half-uploaded blob kept for its continuation (default 2 min, or the heartbeat bound when
   * that is longer). A slow upload that keeps moving is never cut.
   */
  blobIdleTimeoutMs?: number;
  /** Largest single message (default 1e6 bytes); a client sending more is disconnected. */
  maxMessageBytes?: number;
  /** Serve https (and wss) with this certificate and key instead of plain http. */
  tls?: TlsCredentials;
  /**
   * How long a client may stay silent before it is presumed gone (default 5 min): a network
   * cut is detected within this bound. Training and evaluation may block a client's event
   * loop for a while, so this is generous; a crashed client process is noticed at once
   * anyway, through its closed socket.
   */
  heartbeatTimeoutMs?: number;
  onProgress?: (clientId: string, progress: Progress) => void;
  /** How returned states and replay buffers are checked (default: against the task's model). */
  resultCheck?: ResultCheck;
  /**
   * About how large the run's states are (told to each client in its hello reply, so that
   * it readies memory for them before its first task); unknown: not told.
   */
  stateBytes?: number;
  /** Bounds on open and unauthenticated connections (see connection-guard.ts). */
  connections?: ConnectionLimits;
  /** How failed handshakes slow down and lock out an address (see auth-limiter.ts). */
  authLimits?: AuthLimiterOptions;
  /** The run's events: clients, tasks, progress, hand-offs and refusals are published to it. */
  events?: RunEvents;
  /**
   * Viewers' token, for `/metrics` (and the dashboard): never equal to `token`, so that a
   * client token opens no view and a viewer token admits no client.
   */
  viewerToken?: string;
  /** Serve Prometheus `/metrics` (needs `events` and `viewerToken`; default off). */
  metrics?: boolean;
  /**
   * Serve the dashboard (needs `events` and `viewerToken`; default off), reached only
   * through `host` (0.0.0.0 or :: for any of the addresses the coordinator listens on).
   */
  dashboard?: { host: string; feed?: ViewerFeedOptions };
}

export interface Coordinator {
  readonly host: string;
  /** The bound port (the free one chosen when asked for 0). */
  readonly port: number;
  /** `http://host:port` (`https://` with TLS), for clients. */
  readonly url: string;
  /** URLs other machines can use (the machine's addresses when listening on all interfaces). */
  readonly publicUrls: string[];
  readonly registry: ClientRegistry;
  /** What the connection bounds did so far. */
  connectionCounts(): ConnectionCounts;
  /** Ends every client's session (they exit) and stops listening. */
  close(): Promise<void>;
}

type Ack = (reply: unknown) => void;

/** How long a connection waits for its peer, each wait settled. */
type Silences = Required<Pick<CoordinatorOptions, 'ackTimeoutMs' | 'blobIdleTimeoutMs' | 'heartbeatTimeoutMs'>>;

/** The heartbeat bound when none is given: 5 minutes. */
export const DEFAULT_HEARTBEAT_MS = 300_000;

/**
 * The waits of a connection that are not given explicitly: never shorter than the
 * heartbeat. A network cut stops acknowledgements and upload chunks as it stops pongs; a
 * cut the heartbeat tolerates must not fail a transfer or drop a half-received blob first.
 */
function toleratedSilence(options: CoordinatorOptions, heartbeatMs: number): Silences {
  return {
    ackTimeoutMs: options.ackTimeoutMs ?? Math.max(DEFAULT_ACK_TIMEOUT_MS, heartbeatMs),
    blobIdleTimeoutMs: options.blobIdleTimeoutMs ?? Math.max(DEFAULT_BLOB_IDLE_TIMEOUT_MS, heartbeatMs),
    heartbeatTimeoutMs: heartbeatMs,
  };
}

/** Starts a coordinator and resolves once it listens. */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger();
  const registry = new ClientRegistry(options.events);
  if (options.tls) checkTlsCredentials(options.tls);
  if (options.viewerToken !== undefined && (options.viewerToken.length === 0 || options.viewerToken === options.token)) throw new Error('the viewer token must be non-empty and differ from the clients\' token');
  if ((options.metrics || options.dashboard) && (!options.events || options.viewerToken === undefined)) throw new Error('/metrics and the dashboard need the run\'s events and a viewer token');
  // No bound on a whole request (Node's default is 300 s): a 46 MB state over a 1 Mbit/s link
  // takes 6 minutes. A blob request is bounded by inactivity instead (blob-routes.ts), and
  // headers still by `headersTimeout`.
  const serverOptions = { requestTimeout: 0 };
  const http = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...serverOptions }) : createServer(serverOptions);
  const limiter = new AuthLimiter(options.authLimits);
  let guard: ConnectionGuard | null = null;
  const metrics = options.metrics ? new RunMetrics(options.events!, () => registry.size) : null;
  // Viewers (/metrics and the dashboard) share one limiter of their own: a stale scraper or
  // an old dashboard URL retrying cannot lock out the clients behind the same address.
  const gate: ViewerGate | null = options.viewerToken !== undefined ? { viewerToken: options.viewerToken, limiter: new AuthLimiter(options.authLimits), logger } : null;
  const admitted = (socket: import('node:net').Socket) => guard?.authenticated(socket);
  const dashboard: Dashboard | null = options.dashboard ? createDashboard({ gate: gate!, source: options.events!, host: options.dashboard.host, onAdmitted: admitted, ...(options.dashboard.feed ? { feed: options.dashboard.feed } : {}) }) : null;
  const sessions = new Map<string, BlobSession>();
  // A ping every `pingInterval`, presumed gone without a pong `pingTimeout` later: together the heartbeat bound.
  const heartbeatMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_MS;
  const silences = toleratedSilence(options, heartbeatMs);
  const blobRoute = attachBlobRoutes(http, { token: options.token, limiter, sessions, logger, onAdmitted: admitted, idleTimeoutMs: silences.blobIdleTimeoutMs });
  const routes: HttpRoute[] = [blobRoute, ...(metrics ? [metricsRoute({ gate: gate!, metrics, onAdmitted: admitted })] : []), ...(dashboard ? [dashboard.route] : [])];
  // Before socket.io attaches, so that it hands this listener the requests that are not its own.
  attachRoutes(http, routes, logger);
  const observer = options.events ? new TaskEvents(options.events) : undefined;
  const scheme = options.tls ? 'https' : 'http';
  const pingInterval = Math.min(25_000, heartbeatMs / 4);
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, {
    serveClient: false,
    pingInterval,
    pingTimeout: heartbeatMs - pingInterval,
    maxHttpBufferSize: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    // Websocket only: an HTTP long-polling session would live on the server for minutes
    // before any token was checked (150,000 of them took 600 MB); a websocket lives and
    // dies with its TCP connection, which the guard bounds and times.
    transports: ['websocket'],
    connectTimeout: options.connections?.handshakeTimeoutMs ?? 10_000,
  });
  guard = new ConnectionGuard(http, options.connections ?? {}, logger);
  // Its own namespace, before the clients' middleware (which guards the main namespace only).
  dashboard?.attach(io);
  io.use(authMiddleware({ token: options.token, logger, limiter, onAdmitted: (socket) => guard?.authenticated(socket.request.socket) }));
  io.on('connection', (socket) => {
    try {
      onConnection(socket, registry, logger, { ...options, ...silences }, observer, sessions);
    } catch (err) {
      logger.error({ err }, 'could not set up a connection');
      socket.disconnect(true);
    }
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, tls: options.tls !== undefined }, 'coordinator listening');

  return {
    host,
    port,
    url,
    publicUrls: publicUrls(scheme, host, port, url),
    registry,
    connectionCounts: () => guard.counts(),
    async close() {
      metrics?.close();
      dashboard?.close();
      guard?.close();
      // An explicit server disconnect tells clients the session is over (they do not reconnect).
      io.disconnectSockets(true);
      await io.close();
    },
  };
}

function onConnection(socket: CoordinatorSocket, registry: ClientRegistry, logger: Logger, options: CoordinatorOptions & Silences, observer: TaskObserver | undefined, sessions: Map<string, BlobSession>): void {
  const log = logger.child({ socket: socket.id, address: socket.handshake.address });
  const refused = (event: string, reply: Failure) =>
    options.events?.publish({ type: 'refused', ...(remote ? { client: remote.id } : {}), address: socket.handshake.address, event, code: reply.code, message: reply.message.slice(0, 2000) });
  const inbox = new BlobInbox({
    maxBlobBytes: options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES,
    ...(options.maxHeldBlobBytes !== undefined ? { maxHeldBytes: options.maxHeldBlobBytes } : {}),
    idleTimeoutMs: options.blobIdleTimeoutMs,
    // Before hello the PUT is refused already (blob-routes.ts); then by what the running task returns.
    admit: (announced) => remote?.uploadRefusal(announced) ?? null,
    onExpired: (id, message) => log.warn({ blob: id, client: remote?.id }, message),
  });
  let remote: RemoteClient | null = null;
  const outbox = new BlobOutbox();
  sessions.set(socket.id, {
    inbox,
    outbox,
    uploader: () => remote,
    refused: (event, reply) => {
      log.warn({ event, code: reply.code, client: remote?.id }, `rejected ${event}: ${reply.message}`);
      refused(event, reply);
    },
  });
  const notReady = (): Failure => failure('not_ready', 'send hello first');

  /** Runs a handler so that neither a throw nor a missing callback can reach socket.io. */
  const guarded = (event: string, handler: (payload: unknown) => Reply | HelloReply) => (payload: unknown, ack?: unknown) => {
    let reply: Reply | HelloReply;
    try {
      reply = handler(payload);
    } catch (err) {
      log.error({ err, event }, 'handler failed');
      reply = failure('internal', `${event}: ${(err as Error).message}`);
    }
    if (!reply.ok) {
      log.warn({ event, code: reply.code, client: remote?.id }, `rejected ${event}: ${reply.message}`);
      refused(event, reply);
    }
    if (typeof ack === 'function') (ack as Ack)(reply);
  };

  socket.on(
    'hello',
    guarded('hello', (payload) => {
      if (remote) return failure('bad_request', `already registered as ${remote.id}`);
      const hello = helloSchema.safeParse(payload);
      if (!hello.success) return failure('bad_request', `hello: ${describeIssues(hello.error)}`);
      // What a client says of itself is logged and recorded: made plain here, where it enters.
      const { clientId, ...info } = plainClientFields(hello.data);
      const id = registry.add(clientId, { ...info, address: peerAddress(socket.handshake.address) }, (assigned) => {
        remote = new RemoteClient(assigned, socket, inbox, outbox, {
          stageTimeoutMs: options.stageTimeoutMs ?? 3_600_000,
          ackTimeoutMs: options.ackTimeoutMs,
          ...(options.progressTimeoutMs !== undefined ? { progressTimeoutMs: options.progressTimeoutMs } : {}),
          ...(typeof options.maxBlobBytes === 'number' ? { maxBlobBytes: options.maxBlobBytes } : {}),
          ...(options.resultCheck ? { resultCheck: options.resultCheck } : {}),
          logger,
          onProgress: options.onProgress,
          ...(observer ? { observer } : {}),
        });
        return remote;
      });
      log.info({ client: id, clientPid: info.pid, clientHost: info.hostname, backend: info.backend, backendReason: info.backendReason, device: info.device }, 'client joined');
      return { ok: true, clientId: id, heartbeatSeconds: options.heartbeatTimeoutMs / 1000, ...(options.stateBytes ? { stateBytes: options.stateBytes } : {}) };
    }),
  );
  socket.on('task:progress', (payload: unknown) => {
    try {
      if (remote) remote.handleProgress(payload);
      else log.warn('task:progress before hello ignored');
    } catch (err) {
      log.error({ err }, 'task:progress handler failed');
    }
  });
  socket.on(
    'task:result',
    guarded('task:result', (payload) => (remote ? remote.handleResult(payload) : notReady())),
  );
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if ((CLIENT_EVENTS as readonly unknown[]).includes(event)) return;
    log.warn({ event: String(event).slice(0, 100), client: remote?.id }, 'unknown event rejected');
    const ack = args[args.length - 1];
    if (typeof ack === 'function') (ack as Ack)(failure('unknown_event', `unknown event "${String(event).slice(0, 100)}"`));
  });
  socket.on('disconnect', (reason, description: unknown) => {
    if (closedForMessageSize(reason, description)) {
      const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      log.warn({ client: remote?.id, limit }, `connection closed: the client sent a message over the limit of ${limit} bytes`);
    }
    log.info({ client: remote?.id, reason }, 'client left');
    if (remote) {
      registry.remove(remote.id, String(reason));
      remote.disconnected(reason);
    }
    sessions.delete(socket.id);
    outbox.clear();
    inbox.clear();
  });
}

/** A peer's address as people write it: an IPv4 peer of a dual-stack socket without its `::ffff:` prefix. */
export function peerAddress(address: string): string {
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** For a wildcard host, one URL per external IPv4 address of this machine. */
function publicUrls(scheme: string, host: string, port: number, url: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [url];
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => `${scheme}://${a!.address}:${port}`);
  return addresses.length > 0 ? addresses : [`${scheme}://127.0.0.1:${port}`];
}
