/**
 * What schedulers see of a client: something that runs a task on bytes and returns bytes.
 * The coordinator's `RemoteClient` is one; tests use fakes.
 */
import type { MetricsOf, WireTask } from '../../shared/protocol.js';

/** Wire bytes each way. */
export interface WireBytes {
  sent: number;
  received: number;
}

/** Wire bytes of a hand-off, each way: model states and replay buffers together. */
export interface HandoffBytes extends WireBytes {
  /** The part of them that carried replay buffers (the rest carried states); absent where not told apart. */
  replay?: WireBytes;
}

/** `sent` and `received` summed over `bytes`. */
export function sumWireBytes(bytes: readonly WireBytes[]): WireBytes {
  return { sent: bytes.reduce((n, b) => n + b.sent, 0), received: bytes.reduce((n, b) => n + b.received, 0) };
}

/** The wire bytes of several tasks' hand-offs together, as a field to spread (none when no task has any). */
export function sumHandoffBytes(outcomes: readonly Pick<TaskOutcome<unknown>, 'handoffBytes'>[]): { handoffBytes?: HandoffBytes } {
  const counted = outcomes.flatMap((o) => (o.handoffBytes ? [o.handoffBytes] : []));
  if (counted.length === 0) return {};
  const replay = counted.flatMap((b) => (b.replay ? [b.replay] : []));
  return { handoffBytes: { ...sumWireBytes(counted), ...(replay.length > 0 ? { replay: sumWireBytes(replay) } : {}) } };
}

/** The result of one task on one client. */
export interface TaskOutcome<M> {
  metrics: M;
  /** New model state (train tasks), else null. */
  state: Uint8Array | null;
  /** New replay buffer, or null when the arm keeps none. */
  replay: Uint8Array | null;
  /** Seconds spent moving state and replay to the client and back. */
  handoffSeconds: number;
  /** `handoffSeconds` by direction: `sent` to the client, `received` from it. Absent where nothing crossed a wire (fakes). */
  handoffTimes?: { sent: number; received: number };
  /**
   * Wire bytes moved: `sent` to the client (every chunk, re-sends included), `received`
   * from it (the verified result blobs). Absent where nothing crossed a wire (fakes).
   */
  handoffBytes?: HandoffBytes;
  /** The client that ran the task. */
  clientId: string;
}

/**
 * What the coordinator knows of a task beyond the task itself, from the arm's plan: bounds
 * on what its client may return. Not sent; the client's own upload is refused beyond them.
 */
export interface TaskBounds {
  /** The most samples the replay buffer the task returns may hold (see server/schedule/replay-ceiling.ts). */
  replaySamples?: number;
}

/** One client, able to run one task at a time. */
export interface TaskClient {
  readonly id: string;
  runTask<T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, bounds?: TaskBounds): Promise<TaskOutcome<MetricsOf<T>>>;
}

/**
 * How a client's task ended, as the pool keeps score: `done`; `failed` (the task itself
 * failed, not the client's fault); `unresponsive` (the client, still connected, did not
 * acknowledge the task or showed no progress). A client that is unresponsive repeatedly is
 * set aside: see `ClientRegistry`.
 */
export type TaskEnd = 'done' | 'failed' | 'unresponsive';

export interface AcquireOptions {
  /** Give up once no client at all has been connected for this long (default: wait forever). */
  noClientsTimeoutMs?: number;
  /** Only a client holding this chunk's data (see `clients.placement`). */
  chunk?: number;
  /** The task lost a client before: prefer clients with a record of finished tasks. */
  retry?: boolean;
  /** Any client but this one (a second opinion); `noClientsTimeoutMs` then bounds the wait for another. */
  except?: string;
  /**
   * Served after every waiter that is not: work beside an arm's way (an evaluation aside,
   * run-arm.ts) must not take the client the arm's next stage waits for.
   */
  background?: boolean;
}

/** Hands out idle clients; every `acquire` must be paired with a `release`. */
export interface ClientPool {
  acquire(options?: AcquireOptions): Promise<TaskClient>;
  /** Returns a client to the pool, with how its task ended (default `done`). */
  release(client: TaskClient, end?: TaskEnd): void;
}
