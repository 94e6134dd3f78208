/**
 * The client's task runner: one assigned task at a time on the engine, its result blobs
 * uploaded and its `task:result` sent back. A task belongs to the connection it came on:
 * when that connection is lost (a partition longer than the coordinator's heartbeat, or a
 * coordinator that restarted), the coordinator has failed the task and given it to
 * another client, so a result finished afterwards is not uploaded; it is announced, once
 * the client is registered again, and the coordinator refuses it naming the task.
 */
import type { Logger } from '../shared/log.js';
import { memoryLogFields } from '../shared/process-memory.js';
import { ProgressThrottle } from '../shared/progress-throttle.js';
import {
  describeIssues,
  failure,
  MAX_RESULT_MESSAGE_LENGTH,
  replySchema,
  type ErrorCode,
  type Reply,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type StreamSummary,
  type TaskAssignPayload,
  type TaskResultPayload,
  type WireTask,
} from '../shared/protocol.js';
import type { EvalMetrics, Progress, TrainMetrics } from '../shared/tasks.js';
import type { BlobInbox } from '../shared/blob-inbox.js';
import { DEFAULT_MAX_BLOB_BYTES, TransferError, type SentBlob } from '../shared/transfer.js';
import { replayCapacityBytes } from '../shared/state/replay-size.js';
import { maxHandedStateBytes } from '../shared/state/task-state-size.js';
import { decodeTaskBlob, encodeTaskBlob, transferOf } from '../shared/wire/task-wire.js';
import { WireError } from '../shared/wire/wire-encoding.js';
import type { Socket } from 'socket.io-client';
import type { Engine } from './engine/types.js';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the runner needs to know of the connection. */
export interface RunnerLink {
  /** Counts lost connections: a task accepted under an earlier count came on a connection that is gone. */
  session(): number;
  /** Resolves true once the client is registered again (at once when it is), false when it leaves instead. */
  registered(): Promise<boolean>;
  /** How long an acknowledgement may take now (never shorter than the coordinator's heartbeat). */
  ackTimeoutMs(): number;
  /** Uploads a result blob to the coordinator (over the connection's blob link). */
  putBlob(bytes: Uint8Array): Promise<SentBlob>;
}

export interface RunnerOptions {
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
export class TaskRunner {
  private current: string | null = null;
  /**
   * Memory a float16 state is expanded into: the float32 state of the task before, free once
   * its result has left (a fresh buffer of a state's size costs more to fill than the
   * expansion itself, see shared/buffer-shelf.ts).
   */
  private expansionSpare: Uint8Array | null = null;

  constructor(
    private readonly socket: ClientSocket,
    private readonly inbox: BlobInbox,
    private readonly engine: Engine,
    private readonly log: Logger,
    private readonly link: RunnerLink,
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
    this.run(task, state, replay, this.link.session()).catch((err: unknown) => {
      this.current = null;
      this.log.error({ err }, 'task runner failed');
    });
    return { ok: true };
  }

  private async run(task: WireTask, incomingState: Incoming | null, incomingReplay: Incoming | null, session: number): Promise<void> {
    const log = this.log.child({ taskId: task.taskId });
    log.info({ kind: task.kind, stateBytes: incomingState?.wire.byteLength ?? 0, replayBytes: incomingReplay?.wire.byteLength ?? 0, ...(await memoryLogFields()) }, 'task started');
    const lost = () => this.link.session() !== session;
    let result: TaskResultPayload;
    let lent: Uint8Array | null = null;
    try {
      // Before the engine sees them: the task's wire encoding back to float32 bytes.
      // A train task's state is bounded by what its model's state may be, as on the coordinator;
      // its replay buffer by what the task says of it (none, a reservoir's capacity), where it says.
      const maxBytes = (kind: 'state' | 'replay') => {
        if (task.kind !== 'train') return DEFAULT_MAX_BLOB_BYTES;
        return kind === 'state' ? (this.engine.maxStateBytes?.(task) ?? maxHandedStateBytes(task)) : (replayCapacityBytes(task) ?? DEFAULT_MAX_BLOB_BYTES);
      };
      const decoded = (blob: Incoming | null, kind: 'state' | 'replay', into?: Uint8Array) => blob && decodeTaskBlob(blob.wire, task, kind, blob.id, maxBytes(kind), into);
      const spare = this.expansionSpare;
      this.expansionSpare = null;
      const state = decoded(incomingState, 'state', spare ?? undefined);
      // A train task handed no state writes the one it returns into the memory readied for the
      // next state to arrive, given back to the inbox once that result has left.
      lent = task.kind === 'train' && !state ? this.inbox.lendSpare() : null;
      const out = await this.execute(task, state, decoded(incomingReplay, 'replay'), lent);
      // A float16 state is halved into the memory its incoming state arrived in: nothing has
      // read those bytes since they were expanded (plain and deflated states ignore `into`).
      const upload = (bytes: Uint8Array | null, kind: 'state' | 'replay') =>
        this.upload(bytes && encodeTaskBlob(bytes, task, kind, kind === 'state' && incomingState ? { into: incomingState.wire } : {}), log);
      result = lost() ? lateResult(task) : { taskId: task.taskId, ok: true, metrics: out.metrics, stateBlobId: await upload(out.state, 'state'), replayBlobId: await upload(out.replay, 'replay') };
      // The float32 state the engine last held (what it returned, else what it was handed) is
      // free now: the next float16 state is expanded into it.
      // (A float16 state is always expanded into memory of its own, never read where it arrived.)
      if (transferOf(task).encoding === 'float16') this.expansionSpare = out.state ?? state ?? spare;
      // The engine has read its inputs (the state's arrays in place: it holds nothing of them
      // once the task is over) and what it returned has left: the next task's blobs may
      // arrive in the same memory.
      for (const blob of [incomingState, incomingReplay]) if (blob) this.inbox.recycle(blob.wire);
      this.giveBack(lent);
      // Resident memory after the task and the client's peak so far: where a client's memory goes, task by task.
      if (!lost()) log.info(await memoryLogFields(), 'task finished');
    } catch (err) {
      this.giveBack(lent); // whatever the engine wrote into it is not sent
      const code: ErrorCode = err instanceof TransferError ? err.code : err instanceof WireError ? 'bad_request' : 'task_failed';
      log.error({ err, code }, 'task failed');
      // A longer message would be refused, and the coordinator would wait for a result that never came.
      result = { taskId: task.taskId, ok: false, code, message: ((err as Error).message || String(err)).slice(0, MAX_RESULT_MESSAGE_LENGTH) };
    }
    // Free before the result leaves: the coordinator may assign the next task as soon as it has it.
    this.current = null;
    const late = lost();
    if (late) {
      result = lateResult(task);
      log.warn('task ended after the connection it came on was lost; the coordinator has given it to another client: its result is not uploaded, only announced once registered again');
      if (!(await this.link.registered())) return;
    }
    try {
      const reply = replySchema.safeParse(await this.socket.timeout(this.link.ackTimeoutMs()).emitWithAck('task:result', result));
      if (!reply.success) log.error(`malformed acknowledgement of task:result: ${describeIssues(reply.error)}`);
      else if (!reply.data.ok) log[late ? 'warn' : 'error']({ code: reply.data.code }, `coordinator refused the ${late ? 'late ' : ''}result: ${reply.data.message}`);
    } catch (err) {
      log.error(`coordinator did not acknowledge the result: ${(err as Error).message}`);
    }
  }

  /**
   * Gives memory lent for a task's result back to the inbox, unless it holds the state kept
   * for the next expansion (a tiny float16 state fits the memory readied for its wire).
   */
  private giveBack(lent: Uint8Array | null): void {
    if (lent && this.expansionSpare?.buffer !== lent.buffer) this.inbox.recycle(lent);
  }

  /** Uploads a result blob (none: null) and logs what crossed: bytes sent against the blob's size. */
  private async upload(bytes: Uint8Array | null, log: Logger): Promise<string | null> {
    if (!bytes) return null;
    const sent = await this.link.putBlob(bytes);
    log.info({ blob: sent.id, bytes: bytes.byteLength, bytesSent: sent.bytesSent, seconds: sent.seconds, attempts: sent.attempts }, 'result blob uploaded');
    return sent.id;
  }

  private async execute(task: WireTask, state: Uint8Array | null, replay: Uint8Array | null, spareMemory: Uint8Array | null): Promise<Output> {
    switch (task.kind) {
      case 'train': {
        // The state's bytes are this task's alone: the engine may write its result into them.
        const out = await this.engine.train(task, state, replay, this.progressReporter(), { ownsState: true, ...(spareMemory ? { spareMemory } : {}) });
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

/** The announcement of a result that came too late to be used (see the file comment). */
function lateResult(task: WireTask): TaskResultPayload {
  return { taskId: task.taskId, ok: false, code: 'disconnected', message: `task ${task.taskId} ended after the connection it came on was lost; its result was not uploaded` };
}
