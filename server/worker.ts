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

/** Hands out idle workers; every `acquire` must be paired with a `release`. */
export interface WorkerPool {
  acquire(): Promise<Worker>;
  release(worker: Worker): void;
}

/** Runs `use` on a worker from `pool`, releasing it afterwards whatever happens. */
export async function withWorker<R>(pool: WorkerPool, use: (worker: Worker) => Promise<R>): Promise<R> {
  const worker = await pool.acquire();
  try {
    return await use(worker);
  } finally {
    pool.release(worker);
  }
}
