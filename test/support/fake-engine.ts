/**
 * An `Engine` without TensorFlow: its model state records which stages trained it, so
 * tests can check what was handed on, and it can be padded to any size to exercise the
 * blob transfers. It is a real model state (the coordinator refuses anything else) of
 * no parts, with the history and the padding beside them (a plain array, so its size may
 * change from stage to stage without failing the coordinator's shape check).
 */
import type { Engine, StreamSummary, TrainInputs, TrainOutcome } from '../../client/engine/types.js';
import { decode, encode } from '../../shared/codec.js';
import { encodeState, STATE_FORMAT, STATE_VERSION } from '../../shared/state/model-state.js';
import { fittingState } from './fitting-state.js';
import { maxHandedStateBytes } from '../../shared/state/task-state-size.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../shared/transfer.js';
import { STRUCTURE_ONLY_CHECK, type ResultCheck } from '../../server/states/state-check.js';
import type { DataSelection, EvalMetrics, EvalTask, Progress, TrainTask } from '../../shared/tasks.js';

export interface FakeStage {
  arm: string;
  stage: number;
  chunks: number[];
  steps: number;
  startStep: number;
  totalSteps: number;
  /** Chunks whose samples were in the replay buffer this stage received. */
  replayedChunks: number[];
}

export interface FakeState {
  history: FakeStage[];
  padding: Float32Array;
}

export interface FakeEngineOptions {
  /** Size of the padding in each state (default 1 MB). */
  stateBytes?: number;
  /** Chunk sizes `describeStream` reports (default 100, 110, 120, ...). */
  chunkSizes?: number[];
  /** Milliseconds each train task takes. */
  trainDelayMs?: number;
  /** Throws from `train` for tasks it returns true for. */
  failOn?: (task: TrainTask) => boolean;
  /** Called as each train task starts, after its first progress report (a client process may die here). */
  onTrain?: (task: TrainTask) => void;
  /**
   * Return states that fit the task's model (see fitting-state.ts) instead of fake ones,
   * for runs whose coordinator checks states against the model (the CLI's).
   */
  fittingStates?: boolean;
  /** The replay buffer a train task that keeps one returns, instead of the list of chunks it saw (e.g. one of a given size). */
  replayOut?: (task: TrainTask) => Uint8Array;
}

/** A fake state as bytes. */
export function encodeFakeState({ history, padding }: FakeState): Uint8Array {
  // Fields a model state does not have are ignored where states are decoded.
  return encode({ format: STATE_FORMAT, version: STATE_VERSION, method: 'fake', step: history.length, methodState: {}, optimizer: null, history, padding });
}

/** Reads a fake state back. */
export function readFakeState(bytes: Uint8Array): FakeState {
  const { history, padding } = decode(bytes) as FakeState;
  return { history, padding };
}

export class FakeEngine implements Engine {
  readonly backend = { name: 'cpu', reason: 'fake engine' };
  readonly calls: Array<{ kind: 'train' | 'eval' | 'plan'; taskId: string; stateIn: FakeState | null; replayIn: number[] | null; inputs?: TrainInputs }> = [];

  constructor(private readonly options: FakeEngineOptions = {}) {}

  /** A fake state is of no model: only fitting ones are bounded by the task's model. */
  maxStateBytes(task: TrainTask): number {
    return this.options.fittingStates ? maxHandedStateBytes(task) : DEFAULT_MAX_BLOB_BYTES;
  }

  async describeStream(selection: Omit<DataSelection, 'chunks'>): Promise<StreamSummary> {
    this.calls.push({ kind: 'plan', taskId: 'plan', stateIn: null, replayIn: null });
    const sizes = this.options.chunkSizes ?? Array.from({ length: selection.stream.chunks }, (_, k) => 100 + 10 * k);
    return {
      trainCount: sizes.reduce((a, b) => a + b, 0),
      testCount: 50,
      numClasses: 10,
      chunks: sizes.map((size, id) => ({ id, size, classes: [0, 1, 2], style: 'original' })),
    };
  }

  async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void, inputs?: TrainInputs): Promise<TrainOutcome> {
    const previous = state && !this.options.fittingStates ? readFakeState(state) : null;
    const replayed = replay ? (decode(replay) as { chunks: number[] }).chunks : null;
    this.calls.push({ kind: 'train', taskId: task.taskId, stateIn: previous, replayIn: replayed, ...(inputs ? { inputs } : {}) });
    if (this.options.failOn?.(task)) throw new Error(`fake failure in ${task.taskId}`);
    const progress = (step: number) => onProgress({ taskId: task.taskId, step, steps: task.steps, loss: 5 - step / task.steps });
    // The first step is reported before the delay, so that the stage is visibly under way while it lasts.
    progress(1);
    this.options.onTrain?.(task);
    if (this.options.trainDelayMs) await new Promise((r) => setTimeout(r, this.options.trainDelayMs));
    for (let step = 2; step <= task.steps; step++) progress(step);
    const history = [
      ...(previous?.history ?? []),
      {
        arm: task.arm,
        stage: task.stage,
        chunks: task.data.chunks,
        steps: task.steps,
        startStep: task.optimizer.startStep,
        totalSteps: task.optimizer.totalSteps,
        replayedChunks: replayed ?? [],
      },
    ];
    const padding = new Float32Array(Math.ceil((this.options.stateBytes ?? 1_000_000) / 4)).fill(history.length);
    const nextReplay = task.replay.mode === 'replay' ? (this.options.replayOut?.(task) ?? encode({ chunks: [...(replayed ?? []), ...task.data.chunks] })) : null;
    const accuracy = Math.min(0.9, 0.2 + 0.1 * history.length);
    return {
      state: this.options.fittingStates ? encodeState(fittingState(task)) : encodeFakeState({ history, padding }),
      replay: nextReplay,
      metrics: {
        steps: task.steps,
        lossFirst: 5,
        lossLast: 4,
        trainSeconds: 0.01,
        imagesPerSecond: 1000,
        samples: 100,
        replaySamplesUsed: replayed ? 10 : 0,
        dataWaitSeconds: 0,
        ...(task.evaluation ? { eval: { knnTop1: accuracy, linearTop1: accuracy + 0.05, seconds: 0.01 } } : {}),
      },
    };
  }

  async evaluate(task: EvalTask, state: Uint8Array | null): Promise<EvalMetrics> {
    this.calls.push({ kind: 'eval', taskId: task.taskId, stateIn: state ? readFakeState(state) : null, replayIn: null });
    return state ? { knnTop1: 0.5, linearTop1: 0.55, seconds: 0.01 } : { knnTop1: 0.1, linearTop1: 0.12, seconds: 0.01 };
  }
}

/** The coordinator's check of what a fake engine returns: its states fit no model, so only their structure is checked. */
export const FAKE_RESULT_CHECK: ResultCheck = STRUCTURE_ONLY_CHECK;
