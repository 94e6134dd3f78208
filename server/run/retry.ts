/**
 * Running a task so that a lost client does not lose it. When the client running it
 * disconnects, dies or times out, the task runs again from the same input bytes (the
 * coordinator still holds them) on the next free client: a restarted local one, a
 * reconnected one or any other, since every client can serve every chunk. Attempts are
 * bounded and each retry is logged. Any other failure (the engine refused the task, the
 * loss diverged) is not retried: the same input would fail the same way.
 */
import type { Logger } from '../../shared/log.js';
import type { ErrorCode, MetricsOf, WireTask } from '../../shared/protocol.js';
import { TransferError } from '../../shared/transfer.js';
import { TaskError } from '../net/remote-client.js';
import type { TaskBounds, TaskEnd, TaskOutcome, TaskClient, ClientPool } from '../clients/pool.js';
import { reportedMetricsProblem } from './reported-metrics.js';

/**
 * Attempts a task may lose to clients that never accepted it (no acknowledgement of the
 * assignment), beyond `retries`: such a client lost no work, so it costs no retry, but a
 * pool of clients that all stay silent must not keep a task forever.
 */
export const MAX_UNACCEPTED_ATTEMPTS = 8;

/**
 * Codes that say the client was lost rather than that the task failed. `busy` is a client
 * that rejoined after a cut while still finishing the task it lost: it is not counted as
 * an attempt (it will be free once that task ends), the task just waits a little and asks again.
 */
const LOST_CLIENT_CODES: readonly ErrorCode[] = ['disconnected', 'timeout', 'busy'];

/** Pause before asking again after a busy refusal: doubling from 0.5 s up to 8 s. */
export function busyPauseMs(refusals: number): number {
  return Math.min(8000, 500 * 2 ** Math.max(0, refusals - 1));
}

/** Whether `err` says the client, still there, did not answer in time (it did not just drop). */
function isUnresponsive(err: unknown): boolean {
  return (err instanceof TaskError || err instanceof TransferError) && err.code === 'timeout';
}

/** Whether `err` means the client went away (the work may go elsewhere). */
export function isLostClient(err: unknown): boolean {
  return (err instanceof TaskError || err instanceof TransferError) && LOST_CLIENT_CODES.includes(err.code);
}

export interface RetryPolicy {
  /** Attempts after the first, each after a lost client. */
  retries: number;
  /**
   * How long to wait for a client while none that could serve the task is connected, and
   * in all for clients that answer busy (default: forever).
   */
  noClientsTimeoutMs?: number;
}

export const NO_RETRIES: RetryPolicy = { retries: 0 };

/** An attempt that lost its client and is tried again. */
export interface RetryEvent {
  taskId: string;
  /** The attempt that was lost (1 = the first). */
  attempt: number;
  client: string;
  reason: string;
}

/** A task that failed for good; the message names the client (when one was found) and why. */
export class TaskFailure extends Error {
  constructor(
    readonly taskId: string,
    readonly clientId: string | null,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaskFailure';
  }
}

export interface RetryHooks {
  logger?: Logger;
  /** Fields that name the task in log lines (arm, stage). */
  context?: Record<string, unknown>;
  /** Awaited before the next attempt (e.g. to journal the retry). */
  onRetry?: (event: RetryEvent) => void | Promise<void>;
  /**
   * Called as the task is handed to a client, on every attempt, with the seconds this
   * attempt waited for a free client (measures coordinator overhead).
   */
  onDispatch?: (clientId: string, waitedSeconds: number) => void;
  /** Aborted when nobody waits for the task any more (a round deadline passed): it is neither sent nor retried after that. */
  abandoned?: AbortSignal;
  /** Bounds on what the task returns, handed to the client of every attempt with the task. */
  bounds?: TaskBounds;
  /** The task waits behind tasks that are not (see `AcquireOptions.background`). */
  background?: boolean;
}

/** Runs `task` on a client from `pool`, again on another after a lost client, up to `policy.retries` times. */
export async function runWithRetries<T extends WireTask>(
  pool: ClientPool,
  task: T,
  state: Uint8Array | null,
  replay: Uint8Array | null,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<TaskOutcome<MetricsOf<T>>> {
  const lost: string[] = [];
  let busy = 0;
  let busySince = 0;
  let unaccepted = 0;
  for (let attempt = 1; ; attempt++) {
    const asked = performance.now();
    const client = await acquire(pool, task, policy, lost, hooks.background === true);
    const waitedSeconds = (performance.now() - asked) / 1000;
    let pause = 0;
    let end: TaskEnd = 'failed';
    try {
      if (hooks.abandoned?.aborted) {
        end = 'done'; // the client did nothing wrong
        throw new TaskFailure(task.taskId, null, attempt - 1, `task ${task.taskId} abandoned before it was sent (its round closed)`);
      }
      hooks.onDispatch?.(client.id, waitedSeconds);
      const outcome = await client.runTask(task, state, replay, hooks.bounds);
      // Metrics that contradict the task are refused (not retried: the client answered, wrongly).
      const problem = reportedMetricsProblem(task, outcome.metrics);
      if (problem) throw new TaskError('bad_request', `client ${client.id}: task ${task.taskId}: result refused: ${problem}`);
      end = 'done';
      return outcome;
    } catch (err) {
      if (isUnresponsive(err)) end = 'unresponsive';
      const reason = (err as Error).message ?? String(err);
      if (err instanceof TaskError && err.code === 'busy') {
        busySince ||= Date.now();
        const waited = Date.now() - busySince;
        if (policy.noClientsTimeoutMs === undefined || waited < policy.noClientsTimeoutMs) {
          pause = busyPauseMs(++busy);
          attempt--;
          hooks.logger?.info({ ...hooks.context, taskId: task.taskId, client: client.id, pauseMs: pause }, 'client still busy with a task it lost: asking again');
          continue;
        }
      }
      if (err instanceof TaskFailure) throw err;
      if (hooks.abandoned?.aborted) throw new TaskFailure(task.taskId, client.id, attempt, naming(client.id, `abandoned (its round closed): ${reason}`), { cause: err });
      if (!isLostClient(err)) throw new TaskFailure(task.taskId, client.id, attempt, naming(client.id, reason), { cause: err });
      lost.push(naming(client.id, reason));
      if (err instanceof TaskError && err.notAccepted && ++unaccepted <= MAX_UNACCEPTED_ATTEMPTS) {
        attempt--;
        hooks.logger?.warn({ ...hooks.context, taskId: task.taskId, client: client.id, reason }, 'client did not accept the task: trying another (no retry spent)');
        continue;
      }
      if (attempt > policy.retries) {
        const message = `gave up after ${attempt} attempt(s), each lost its client (clients.retries is ${policy.retries}): ${lost.join('; ')}`;
        throw new TaskFailure(task.taskId, client.id, attempt, message, { cause: err });
      }
      hooks.logger?.warn(
        { ...hooks.context, taskId: task.taskId, client: client.id, reason, attempt, retries: policy.retries },
        'client lost: retrying the task from its input state',
      );
      await hooks.onRetry?.({ taskId: task.taskId, attempt, client: client.id, reason });
    } finally {
      pool.release(client, end);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

async function acquire(pool: ClientPool, task: WireTask, policy: RetryPolicy, lost: readonly string[], background: boolean): Promise<TaskClient> {
  try {
    return await pool.acquire({ noClientsTimeoutMs: policy.noClientsTimeoutMs, ...chunkNeeded(task), ...(lost.length > 0 ? { retry: true } : {}), ...(background ? { background } : {}) });
  } catch (err) {
    const after = lost.length > 0 ? ` after ${lost.join('; ')}` : '';
    throw new TaskFailure(task.taskId, null, lost.length, `no client to run task ${task.taskId}${after}: ${(err as Error).message}`, { cause: err });
  }
}

/** A train task on one chunk needs a client holding it; joint (all chunks) is the pooled-data reference and runs anywhere. */
function chunkNeeded(task: WireTask): { chunk?: number } {
  return task.kind === 'train' && task.data.chunks.length === 1 ? { chunk: task.data.chunks[0] } : {};
}

/** `reason`, prefixed with the client unless it already names it. */
function naming(clientId: string, reason: string): string {
  return reason.includes(`client ${clientId}`) ? reason : `client ${clientId}: ${reason}`;
}
