/**
 * One connected client, seen from the coordinator: uploads the state and replay blobs,
 * assigns the task, waits for the result (bounded by the stage timeout, failing at once if
 * the client disconnects) and takes the result blobs from the inbox, refusing a state
 * that is not fit to keep (see state-check.ts).
 */
import type { Socket } from 'socket.io';
import type { Logger } from '../../shared/log.js';
import {
  describeIssues,
  failure,
  METRICS_SCHEMAS,
  progressSchema,
  replySchema,
  taskResultSchema,
  type ClientToServerEvents,
  type ErrorCode,
  type Failure,
  type MetricsOf,
  type Reply,
  type ServerToClientEvents,
  type WireTask,
} from '../../shared/protocol.js';
import type { Progress } from '../../shared/tasks.js';
import type { BlobInbox } from '../../shared/blob-inbox.js';
import { BufferShelf } from '../../shared/buffer-shelf.js';
import { DEFAULT_MAX_BLOB_BYTES, TransferError } from '../../shared/transfer.js';
import { offerBlob, type BlobOutbox } from './blob-outbox.js';
import { decodeTaskBlobValue, encodeTaskBlob, transferOf } from '../../shared/wire/task-wire.js';
import { expectedWireBytes, WireError } from '../../shared/wire/wire-encoding.js';
import { arrivedWire, keepArrivedWire } from '../states/arrived-wire.js';
import { keptAsEncoded } from '../states/decoded-states.js';
import { MANIFEST_CHECK, type ResultCheck } from '../states/state-check.js';
import { decodeReturnedReplay, taskUploadBound, type UploadBound } from '../states/upload-bound.js';
import { MAX_CLIENT_MESSAGE_LENGTH, plainText } from './client-text.js';
import type { TaskObserver } from '../observe/task-events.js';
import type { TaskBounds, TaskOutcome, TaskClient } from '../clients/pool.js';

/** The coordinator's side of a client connection. */
export type CoordinatorSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** A running task's deadline: see `RemoteClient.deadline`. */
interface Deadline {
  expired: Promise<never>;
  restart(): void;
  stop(): void;
}

/** A task that failed on (or on the way to) a client. */
export class TaskError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The client never accepted the task (it did not acknowledge the assignment): no work of it was lost. */
    readonly notAccepted = false,
  ) {
    super(message);
    this.name = 'TaskError';
  }
}

export interface RemoteClientOptions {
  /** How long a task may run between assignment and result. */
  stageTimeoutMs: number;
  /** How long any single acknowledgement may take. */
  ackTimeoutMs: number;
  /**
   * How long an assigned task may go without a sign of work from the client (a progress
   * report or a chunk of a result upload) before the client is presumed stuck.
   */
  progressTimeoutMs?: number;
  /** How returned states and replay buffers are checked (default: against the task's model, MANIFEST_CHECK). */
  resultCheck?: ResultCheck;
  /**
   * Largest result blob decoded from its wire encoding (default 2 GiB): bounds what a
   * compressed blob may inflate to when neither the check (`ResultCheck.maxStateBytes`) nor the
   * task and its plan (a replay buffer's, `UploadBound.decodedReplay`) know a tighter bound.
   */
  maxBlobBytes?: number;
  logger: Logger;
  onProgress?: (clientId: string, progress: Progress) => void;
  /** Told of tasks started, progress and hand-offs (the run's events). */
  observer?: TaskObserver;
}

interface Running {
  task: WireTask;
  /** What the client may upload while it runs the task: null for tasks that return no blobs. */
  uploads: UploadBound | null;
  resolve(outcome: { metrics: unknown; state: Uint8Array | null; replay: Uint8Array | null; downloadSeconds: number; receivedBytes: number; receivedReplayBytes: number }): void;
  reject(err: Error): void;
}

/**
 * Why a task's returned blobs cannot be kept: only a train task returns a state, which must
 * fit its task (state-check.ts). `decoded`: what the state decodes to, when the wire layer made it.
 */
function inspectResult(check: ResultCheck, task: WireTask, state: Uint8Array | null, replay: Uint8Array | null, decoded: unknown): string | null {
  if (task.kind !== 'train') return state || replay ? `a ${task.kind} task returns no state or replay buffer` : null;
  return (state && check.state(state, task, decoded)) || (replay && check.replay(replay, task));
}

/** A connected client as a `TaskClient`. */
export class RemoteClient implements TaskClient {
  /** The task between `runTask` and its end, uploads included. */
  private activeTaskId: string | null = null;
  /** The task assigned and awaiting its result. */
  private running: Running | null = null;
  private goneReason: string | null = null;
  /** Restarts the running task's silence timer (a sign of work arrived). */
  private workSeen: (() => void) | null = null;
  private readonly goneWatchers = new Set<(err: TaskError) => void>();
  /** Memory readied for the float32 expansion of the float16 state the running task will return. */
  private readonly expansion = new BufferShelf();

  constructor(
    readonly id: string,
    private readonly socket: CoordinatorSocket,
    private readonly inbox: BlobInbox,
    private readonly outbox: BlobOutbox,
    private readonly options: RemoteClientOptions,
  ) {}

  async runTask<T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, bounds?: TaskBounds): Promise<TaskOutcome<MetricsOf<T>>> {
    if (this.activeTaskId) throw new TaskError('busy', `client ${this.id} is already running task ${this.activeTaskId}`);
    this.activeTaskId = task.taskId;
    const log = this.options.logger.child({ client: this.id, taskId: task.taskId });
    let stage: Deadline | null = null;
    let silence: Deadline | null = null;
    try {
      const uploadStart = performance.now();
      const onResend = (err: TransferError, attempt: number) => log.warn({ attempt, code: err.code }, `re-sending a damaged upload: ${err.message}`);
      const sentBytes = { state: 0, replay: 0 };
      const upload = async (bytes: Uint8Array | null, kind: 'state' | 'replay') => {
        if (!bytes) return null;
        // What arrived for these bytes under the same spec goes on as it came (./arrived-wire.ts).
        const wire = arrivedWire(bytes, transferOf(task), kind) ?? encodeTaskBlob(bytes, task, kind, kind === 'state' ? { decoded: keptAsEncoded(bytes) } : {});
        const sent = await this.untilGone(offerBlob(this.socket, this.outbox, wire, { ackTimeoutMs: this.options.ackTimeoutMs, onResend }));
        sentBytes[kind] += sent.bytesSent;
        return sent.id;
      };
      const stateBlobId = await upload(state, 'state');
      const replayBlobId = await upload(replay, 'replay');
      const sentTotal = sentBytes.state + sentBytes.replay;
      const uploadSeconds = (performance.now() - uploadStart) / 1000;
      log.debug({ bytes: (state?.byteLength ?? 0) + (replay?.byteLength ?? 0), wireBytes: sentTotal, seconds: uploadSeconds }, 'blobs uploaded');
      if (sentTotal > 0) this.options.observer?.handOff(this.id, task, 'to-client', sentTotal, uploadSeconds);

      const result = new Promise<Parameters<Running['resolve']>[0]>((resolve, reject) => {
        const uploads = task.kind === 'train' ? taskUploadBound(task, this.check, replay?.byteLength ?? 0, this.maxBlobBytes, bounds?.replaySamples) : null;
        this.running = { task, uploads, resolve, reject };
      });
      result.catch(() => undefined); // settled before it is awaited when the assignment fails
      this.readyStateMemory();
      stage = this.deadline(this.options.stageTimeoutMs, `task ${task.taskId} gave no result within ${this.options.stageTimeoutMs / 1000} s`, 'stage timeout: disconnecting the client', log);
      stage.restart();
      // Liveness by progress: restarted by every sign of work (see `workSeen`).
      const progressMs = this.options.progressTimeoutMs;
      silence = progressMs === undefined ? null : this.deadline(progressMs, `task ${task.taskId} showed no progress for ${progressMs / 1000} s`, 'no progress: presumed stuck, disconnecting the client', log);

      const ack = await this.untilGone(this.socket.timeout(this.options.ackTimeoutMs).emitWithAck('task:assign', { task, stateBlobId, replayBlobId }));
      const reply = replySchema.safeParse(ack);
      if (!reply.success) throw new TaskError('bad_request', `client ${this.id}: malformed acknowledgement of task:assign: ${describeIssues(reply.error)}`);
      if (!reply.data.ok) throw new TaskError(reply.data.code, `client ${this.id} refused task ${task.taskId}: ${plainText(reply.data.message, MAX_CLIENT_MESSAGE_LENGTH)}`);
      log.debug('task assigned');
      this.options.observer?.started(this.id, task);
      if (silence) {
        this.workSeen = silence.restart;
        silence.restart();
      }
      const outcome = await this.untilGone(Promise.race([result, stage.expired, ...(silence ? [silence.expired] : [])]));
      if (outcome.receivedBytes > 0) this.options.observer?.handOff(this.id, task, 'from-client', outcome.receivedBytes, outcome.downloadSeconds);
      return {
        metrics: outcome.metrics as MetricsOf<T>,
        state: outcome.state,
        replay: outcome.replay,
        handoffSeconds: uploadSeconds + outcome.downloadSeconds,
        handoffTimes: { sent: uploadSeconds, received: outcome.downloadSeconds },
        handoffBytes: { sent: sentTotal, received: outcome.receivedBytes, replay: { sent: sentBytes.replay, received: outcome.receivedReplayBytes } },
        clientId: this.id,
      };
    } catch (err) {
      if (err instanceof TaskError || err instanceof TransferError) throw err;
      const message = (err as Error).message;
      if (/timed out/.test(message)) throw new TaskError('timeout', `client ${this.id}: task:assign of ${task.taskId} not acknowledged in time`, true);
      throw new TaskError('internal', `client ${this.id}: task ${task.taskId}: ${message}`);
    } finally {
      stage?.stop();
      silence?.stop();
      this.workSeen = null;
      this.expansion.clear(); // taken by the result, or not needed: a failed task's is not held
      this.running = null;
      this.activeTaskId = null;
    }
  }

  /** Handles `task:result`: checks it, takes its blobs and settles the running task. */
  handleResult(payload: unknown): Reply {
    const parsed = taskResultSchema.safeParse(payload);
    if (!parsed.success) return failure('bad_request', `task:result: ${describeIssues(parsed.error)}`);
    const result = parsed.data;
    const running = this.running;
    if (!running || running.task.taskId !== result.taskId) {
      if (result.ok) [result.stateBlobId, result.replayBlobId].forEach((id) => id && this.inbox.discard(id));
      // Typically a late result: the connection the task came on was lost, and the task failed there and went elsewhere.
      return failure('unknown_task', `task:result: refused the result of task ${result.taskId} from client ${this.id}: no such task runs on it (a task whose client was lost is given to another, and a late result is not used)`);
    }
    if (!result.ok) {
      running.reject(new TaskError(result.code, `client ${this.id}: task ${result.taskId} failed: ${plainText(result.message, MAX_CLIENT_MESSAGE_LENGTH)}`));
      return { ok: true };
    }
    const metrics = METRICS_SCHEMAS[running.task.kind].safeParse(result.metrics);
    try {
      if (!metrics.success) throw new TaskError('bad_request', `task:result: metrics of a ${running.task.kind} task: ${describeIssues(metrics.error)}`);
      if (running.task.kind === 'train' && !result.stateBlobId) throw new TaskError('bad_request', 'task:result: a train task must return a state blob');
      const check = this.check;
      const state = result.stateBlobId ? this.inbox.take(result.stateBlobId) : null;
      const replay = result.replayBlobId ? this.inbox.take(result.replayBlobId) : null;
      const decodeStart = performance.now();
      // Back to float32 before anything checks or keeps them; bounded by what the task may return.
      const maxBlobBytes = this.maxBlobBytes;
      const stateWire = state && decodeTaskBlobValue(state.bytes, running.task, 'state', result.stateBlobId!, running.uploads?.decodedState ?? maxBlobBytes, this.expansion.take() ?? undefined);
      const stateBytes = stateWire?.bytes ?? null;
      const replayBytes = replay && decodeReturnedReplay(replay.bytes, running.task, result.replayBlobId!, running.uploads?.decodedReplay ?? maxBlobBytes);
      const decodeSeconds = (performance.now() - decodeStart) / 1000;
      if (state && stateBytes) keepArrivedWire(stateBytes, state.bytes, transferOf(running.task), 'state');
      if (replay && replayBytes) keepArrivedWire(replayBytes, replay.bytes, transferOf(running.task), 'replay');
      const problem = inspectResult(check, running.task, stateBytes, replayBytes, stateWire?.decoded);
      if (problem) throw new TaskError('bad_request', `task:result: ${problem}`);
      running.resolve({
        metrics: metrics.data,
        state: stateBytes,
        replay: replayBytes,
        downloadSeconds: (state?.seconds ?? 0) + (replay?.seconds ?? 0) + decodeSeconds,
        receivedBytes: (state?.bytes.byteLength ?? 0) + (replay?.bytes.byteLength ?? 0),
        receivedReplayBytes: replay?.bytes.byteLength ?? 0,
      });
      return { ok: true };
    } catch (err) {
      [result.stateBlobId, result.replayBlobId].forEach((id) => id && this.inbox.discard(id));
      const code = err instanceof TaskError || err instanceof TransferError ? err.code : err instanceof WireError ? 'bad_request' : 'internal';
      const reason = failure(code, (err as Error).message);
      running.reject(new TaskError(reason.code, `client ${this.id}: ${reason.message}`));
      return reason;
    }
  }

  /** Handles `task:progress`; progress for anything but the running task is ignored. */
  handleProgress(payload: unknown): void {
    const parsed = progressSchema.safeParse(payload);
    if (!parsed.success) {
      this.options.logger.warn({ client: this.id, problem: describeIssues(parsed.error) }, 'invalid task:progress ignored');
      return;
    }
    if (this.running?.task.taskId !== parsed.data.taskId) return;
    this.workSeen?.();
    this.options.onProgress?.(this.id, parsed.data);
    this.options.observer?.progress(this.id, this.running.task, parsed.data);
  }

  /** A blob event arrived from the client: an upload in progress is work too. */
  noteUpload(): void {
    this.workSeen?.();
  }

  /**
   * Why the client may not start uploading blob `announced` now, or null when it may: only a
   * train task returns blobs (its state and replay), so an idle client, or one running an
   * evaluation or the stream plan, has nothing to upload and is given no buffer; and a blob
   * larger than the running task can return is refused before its first byte.
   */
  uploadRefusal(announced: { id: string; size: number }): Failure | null {
    const running = this.running;
    if (!running?.uploads) {
      const doing = running ? `runs ${running.task.kind} task ${running.task.taskId}, which returns no blobs` : 'runs no task';
      return failure('not_ready', `blob ${announced.id}: client ${this.id} ${doing}: nothing to upload`);
    }
    const { bytes, state, replay } = running.uploads;
    if (announced.size <= bytes) return null;
    const replayPart = replay === 0 ? 'it keeps no replay buffer' : `its replay buffer at most ${replay}`;
    return failure('too_large', `blob ${announced.id}: ${announced.size} bytes announced, but task ${running.task.taskId} on client ${this.id} returns at most ${bytes} bytes (its state at most ${state}, ${replayPart}): refused before its first byte`);
  }

  /**
   * Readies the memory of the state the running task will return, when its size is known
   * ahead (its model bounds it, and it travels as plain float32 or float16: a deflated
   * state's wire size is known only once encoded): its pages are written while the client
   * trains, not while the state arrives (the memory the upload takes anyway, taken at the
   * task's start instead of its end).
   */
  private readyStateMemory(): void {
    const running = this.running;
    const uploads = running?.uploads;
    if (!running || !uploads || uploads.state === 0 || uploads.decodedState >= this.maxBlobBytes) return;
    const spec = transferOf(running.task);
    const expected = expectedWireBytes(uploads.decodedState, spec, 'state');
    if (expected !== undefined) void this.inbox.prepare(Math.min(expected, uploads.state));
    // A float16 state (deflated or not) is expanded into memory of its float32 size, which the
    // coordinator then keeps.
    if (spec.encoding === 'float16') void this.expansion.prepare(uploads.decodedState);
  }

  /** How returned states and replay buffers are checked. */
  private get check(): ResultCheck {
    return this.options.resultCheck ?? MANIFEST_CHECK;
  }

  /** The outer cap of any blob. */
  private get maxBlobBytes(): number {
    return this.options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  /**
   * A deadline for the running task: once `restart`ed, `expired` rejects with a timeout
   * `TaskError` unless `restart` comes again (or `stop`) within `ms`, and the client's
   * session is ended: it is presumed lost (stage timeout) or stuck (no progress), and
   * must neither linger as idle nor hold resources. A task that did not end this way
   * `stop`s it, so that nothing fires at a client after its task.
   */
  private deadline(ms: number, what: string, logLine: string, log: Logger): Deadline {
    let reject: (err: Error) => void = () => undefined;
    const expired = new Promise<never>((_, r) => (reject = r));
    expired.catch(() => undefined); // settled before it is awaited when the assignment fails
    let timer: NodeJS.Timeout | undefined;
    return {
      expired,
      restart: () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          reject(new TaskError('timeout', `client ${this.id}: ${what}`));
          log.warn(logLine);
          setImmediate(() => this.socket.disconnect(true)); // after the rejection has settled the task
        }, ms);
      },
      stop: () => clearTimeout(timer),
    };
  }


  /** The client disconnected: whatever it was doing fails now, and so does anything later. */
  disconnected(reason: string): void {
    this.goneReason = reason;
    const err = new TaskError('disconnected', `client ${this.id} disconnected (${reason})`);
    for (const watch of [...this.goneWatchers]) watch(err);
  }

  /** `promise`, unless the client disconnects first. */
  private untilGone<R>(promise: Promise<R>): Promise<R> {
    if (this.goneReason !== null) {
      promise.catch(() => undefined);
      return Promise.reject(new TaskError('disconnected', `client ${this.id} disconnected (${this.goneReason})`));
    }
    return new Promise<R>((resolve, reject) => {
      const watch = (err: TaskError) => reject(err);
      this.goneWatchers.add(watch);
      promise.then(resolve, reject).finally(() => this.goneWatchers.delete(watch));
    });
  }
}
