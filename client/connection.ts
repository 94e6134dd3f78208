/**
 * The client's side of the protocol: connect with the token, say hello, and serve tasks:
 * take the state and replay blobs the coordinator uploaded, run the engine, upload the
 * result blobs and answer `task:result`. Usable in-process with any `Engine` (tests).
 */
import { hostname } from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { silentLogger, type Logger } from '../shared/log.js';
import { ProgressThrottle } from '../shared/progress-throttle.js';
import {
  describeIssues,
  failure,
  helloReplySchema,
  MAX_RESULT_MESSAGE_LENGTH,
  PROTOCOL_VERSION,
  replySchema,
  taskAssignSchema,
  type ClientToServerEvents,
  type ErrorCode,
  type Reply,
  type ServerToClientEvents,
  type StreamSummary,
  type TaskAssignPayload,
  type TaskResultPayload,
  type WireTask,
} from '../shared/protocol.js';
import type { EvalMetrics, Progress, TrainMetrics } from '../shared/tasks.js';
import { BlobInbox } from '../shared/blob-inbox.js';
import { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_MAX_BLOB_BYTES, sendBlob, TransferError } from '../shared/transfer.js';
import { decodeTaskBlob, encodeTaskBlob } from '../shared/wire/task-wire.js';
import { WireError } from '../shared/wire/wire-encoding.js';
import { connectErrorCause, isCertificateProblem } from './connect-error.js';
import type { Engine } from './engine/types.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
  /** Upload chunk size (default 512 KiB). */
  chunkSize?: number;
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
  const inbox = new BlobInbox({ onExpired: (id, message) => log.warn({ blob: id }, message) });
  inbox.attach(socket, { onRefused: (event, reply) => log.warn({ event, code: reply.code }, `rejected ${event}: ${reply.message}`) });
  const runner = new TaskRunner(socket, inbox, options.engine, log, {
    ackTimeoutMs,
    chunkSize: options.chunkSize,
    progressIntervalMs: options.progressIntervalMs ?? 500,
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
    socket.disconnect();
    inbox.clear();
    resolveDone();
  };
  const fatal = (err: ClientStartError) => {
    log.error({ code: err.code }, err.message);
    closing = true;
    socket.disconnect();
    rejectStart(err);
    rejectDone(err);
  };

  socket.on('connect', () => {
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
        log.info({ clientId, url: options.url }, first ? 'joined the coordinator' : 'rejoined the coordinator');
        if (first) resolveStart({ clientId, done, close });
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
    inbox.clear();
    if (closing) return;
    if (reason === 'io server disconnect') {
      log.info('coordinator ended the session');
      closing = true;
      resolveDone();
      rejectStart(new ClientStartError('disconnected', 'coordinator ended the session before accepting this client'));
    } else {
      log.warn({ reason }, 'lost the coordinator; reconnecting');
    }
  });
  return started;
}

interface RunnerOptions {
  ackTimeoutMs: number;
  chunkSize?: number;
  progressIntervalMs: number;
}

/** A blob the coordinator uploaded for a task, as it arrived (wire bytes). */
interface Incoming {
  id: string;
  wire: Uint8Array;
}

interface Output {
  metrics: TrainMetrics | EvalMetrics | StreamSummary;
  state: Uint8Array | null;
  replay: Uint8Array | null;
}

/** Runs one assigned task at a time on the engine and sends its result back. */
class TaskRunner {
  private current: string | null = null;

  constructor(
    private readonly socket: ClientSocket,
    private readonly inbox: BlobInbox,
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly options: RunnerOptions,
  ) {}

  /** Takes the task's blobs and starts it, or says why not. */
  accept({ task, stateBlobId, replayBlobId }: TaskAssignPayload): Reply {
    const discard = () => [stateBlobId, replayBlobId].forEach((id) => id && this.inbox.discard(id));
    if (this.current) {
      discard();
      return failure('busy', `already running task ${this.current}`);
    }
    let state: Incoming | null;
    let replay: Incoming | null;
    try {
      state = stateBlobId ? { id: stateBlobId, wire: this.inbox.take(stateBlobId).bytes } : null;
      replay = replayBlobId ? { id: replayBlobId, wire: this.inbox.take(replayBlobId).bytes } : null;
    } catch (err) {
      discard();
      return failure('unknown_blob', (err as Error).message);
    }
    this.current = task.taskId;
    this.run(task, state, replay).catch((err: unknown) => {
      this.current = null;
      this.log.error({ err }, 'task runner failed');
    });
    return { ok: true };
  }

  private async run(task: WireTask, incomingState: Incoming | null, incomingReplay: Incoming | null): Promise<void> {
    const log = this.log.child({ taskId: task.taskId });
    log.info({ kind: task.kind, stateBytes: incomingState?.wire.byteLength ?? 0, replayBytes: incomingReplay?.wire.byteLength ?? 0 }, 'task started');
    let result: TaskResultPayload;
    try {
      // Before the engine sees them: the task's wire encoding back to float32 bytes.
      const decoded = (blob: Incoming | null, kind: 'state' | 'replay') => blob && decodeTaskBlob(blob.wire, task, kind, blob.id, DEFAULT_MAX_BLOB_BYTES);
      const out = await this.execute(task, decoded(incomingState, 'state'), decoded(incomingReplay, 'replay'));
      const onResend = (err: TransferError, attempt: number) => log.warn({ attempt, code: err.code }, `re-sending a damaged upload: ${err.message}`);
      const upload = async (bytes: Uint8Array | null, kind: 'state' | 'replay') =>
        bytes ? (await sendBlob(this.socket, encodeTaskBlob(bytes, task, kind), { chunkSize: this.options.chunkSize, ackTimeoutMs: this.options.ackTimeoutMs, onResend })).id : null;
      result = { taskId: task.taskId, ok: true, metrics: out.metrics, stateBlobId: await upload(out.state, 'state'), replayBlobId: await upload(out.replay, 'replay') };
      log.info('task finished');
    } catch (err) {
      const code: ErrorCode = err instanceof TransferError ? err.code : err instanceof WireError ? 'bad_request' : 'task_failed';
      log.error({ err, code }, 'task failed');
      // A longer message would be refused, and the coordinator would wait for a result that never came.
      result = { taskId: task.taskId, ok: false, code, message: ((err as Error).message || String(err)).slice(0, MAX_RESULT_MESSAGE_LENGTH) };
    }
    // Free before the result leaves: the coordinator may assign the next task as soon as it has it.
    this.current = null;
    try {
      const reply = replySchema.safeParse(await this.socket.timeout(this.options.ackTimeoutMs).emitWithAck('task:result', result));
      if (!reply.success) log.error(`malformed acknowledgement of task:result: ${describeIssues(reply.error)}`);
      else if (!reply.data.ok) log.error({ code: reply.data.code }, `coordinator rejected the result: ${reply.data.message}`);
    } catch (err) {
      log.error(`coordinator did not acknowledge the result: ${(err as Error).message}`);
    }
  }

  private async execute(task: WireTask, state: Uint8Array | null, replay: Uint8Array | null): Promise<Output> {
    switch (task.kind) {
      case 'train': {
        const out = await this.engine.train(task, state, replay, this.progressReporter());
        return { metrics: out.metrics, state: out.state, replay: out.replay };
      }
      case 'eval':
        return { metrics: await this.engine.evaluate(task, state), state: null, replay: null };
      case 'plan':
        return { metrics: await this.engine.describeStream({ dataset: task.dataset, stream: task.stream, seed: task.seed }), state: null, replay: null };
    }
  }

  /** Forwards progress, at most one report per interval (and always the last step). */
  private progressReporter(): (p: Progress) => void {
    const throttle = new ProgressThrottle(this.options.progressIntervalMs);
    return (p) => {
      if (throttle.passes(p.taskId, p.step, p.steps)) this.socket.emit('task:progress', p);
    };
  }
}

// The engine's stream description travels as the protocol's StreamSummary: keep them one shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const engineSummaryMatchesProtocol: Same<Awaited<ReturnType<Engine['describeStream']>>, StreamSummary> = true;
void engineSummaryMatchesProtocol;
