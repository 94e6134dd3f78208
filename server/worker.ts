/**
 * What schedulers see of a client: something that runs a task on bytes and returns bytes.
 * The coordinator's `RemoteClient` is one; tests use fakes.
 */
import type { MetricsOf, WireTask } from '../shared/protocol.js';

/** The result of one task on one client. */
export interface TaskOutcome<M> {
  metrics: M;
  /** New model state (train tasks), else null. */
  state: Uint8Array | null;
  /** New replay buffer, or null when the arm keeps none. */
  replay: Uint8Array | null;
  /** Seconds spent moving state and replay to the client and back. */
  handoffSeconds: number;
  /** The client that ran the task. */
  clientId: string;
}

/** One client, able to run one task at a time. */
export interface Worker {
  readonly id: string;
  runTask<T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null): Promise<TaskOutcome<MetricsOf<T>>>;
}

export interface AcquireOptions {
  /** Give up once no client at all has been connected for this long (default: wait forever). */
  noClientsTimeoutMs?: number;
  /** Only a client holding this chunk's data (see `clients.placement`). */
  chunk?: number;
}

/** Hands out idle workers; every `acquire` must be paired with a `release`. */
export interface WorkerPool {
  acquire(options?: AcquireOptions): Promise<Worker>;
  release(worker: Worker): void;
}
