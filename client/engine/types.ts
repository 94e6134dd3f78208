/**
 * The training engine as the client process sees it: bytes in, bytes out. Model state
 * and replay samples cross process boundaries as msgpackr-encoded bytes, so the
 * transport never touches tensors.
 */
import type { DataSelection, EvalMetrics, EvalTask, Progress, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { StreamSummary } from '../../shared/protocol.js';

export interface TrainOutcome {
  /** Encoded model state to hand on (weights, momentum encoder, queue, optimizer state). */
  state: Uint8Array;
  /** Encoded replay buffer to hand on, or null when the arm keeps none. */
  replay: Uint8Array | null;
  metrics: TrainMetrics;
}

/** The stream as a client computed it: the coordinator needs chunk sizes to schedule steps. */
export type { StreamSummary };

/** What a caller of `Engine.train` lets the engine do with what it hands it. */
export interface TrainInputs {
  /**
   * The state's memory is the task's alone (the task runner's blobs): the engine may write
   * the state it returns into it once it has read it, instead of into fresh memory.
   */
  ownsState?: boolean;
  /**
   * Memory, its pages written already, the engine may write the state it returns into when
   * it was handed none to write it into (a relay's first stage, joint training): lent by
   * the task runner for the task (the memory readied for the next state to arrive).
   */
  spareMemory?: Uint8Array;
}

/** Where an engine writes the state it returns (`encodeState`'s options): the memory of the state it owns, else the memory lent (`TrainInputs`), else fresh memory. */
export function resultMemory(state: Uint8Array | null, inputs: TrainInputs): { into?: Uint8Array } {
  const into = state && inputs.ownsState ? state : inputs.spareMemory;
  return into ? { into } : {};
}

export interface Engine {
  /** Splits the dataset as the scenario's stream says and describes the chunks. */
  describeStream(selection: Omit<DataSelection, 'chunks'>): Promise<StreamSummary>;
  /** Trains one stage from `state` (a fresh model when null). */
  train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void, inputs?: TrainInputs): Promise<TrainOutcome>;
  /** Evaluates the encoder in `state` (a randomly initialized one when null). */
  evaluate(task: EvalTask, state: Uint8Array | null): Promise<EvalMetrics>;
  /**
   * The largest state `task` may be handed, which bounds what a compressed or float16 state
   * may expand to on arrival. Default: the largest state of the task's model
   * (shared/state/task-state-size.ts); an engine of states of no model (a test's fake) says its own.
   */
  maxStateBytes?(task: TrainTask): number;
}
