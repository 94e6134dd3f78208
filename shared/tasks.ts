/**
 * The work a coordinator hands a client, and what comes back. These are the narrow
 * options the training engine sees: never the whole scenario.
 */
import type { RegularizerName, ReplaySelection } from './continual-names.js';
import type { AnalysisSpec, DatasetSpec, EvaluationSpec, ModelSpec, SslSpec, StreamSpec, TransferSpec } from './scenario.js';

/** Which data a client trains on: chunks of a seeded stream over a dataset. */
export interface DataSelection {
  dataset: DatasetSpec;
  stream: StreamSpec;
  /** The scenario seed: the split is a pure function of it. */
  seed: number;
  /** Chunk ids to train on; joint training names all of them. */
  chunks: number[];
}

export interface OptimizerOptions {
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: 'cosine' | 'constant';
  /** Steps of the whole arm, for the schedule. */
  totalSteps: number;
  /** Global step at which this stage starts. */
  startStep: number;
  keepOptimizerState: boolean;
}

export type ReplayOptions =
  | { mode: 'none' }
  | {
      mode: 'replay';
      size?: number;
      fraction?: number;
      ratio: number;
      selection?: ReplaySelection;
      /**
       * False when the buffer holds this chunk's samples already (a later visit of a
       * cyclic relay): the stage replays the buffer but adds nothing to it, so each chunk
       * is in the buffer once and the buffer does not grow with the cycles.
       */
      extend?: boolean;
    };

/** A parameter regularizer for the stage, as the arm declares it. */
export interface RegularizerOptions {
  name: RegularizerName;
  lambda: number;
  samples: number;
}

export interface TrainTask {
  kind: 'train';
  taskId: string;
  arm: string;
  stage: number;
  seed: number;
  data: DataSelection;
  model: ModelSpec;
  ssl: SslSpec;
  batchSize: number;
  /** Optimizer steps this task runs. */
  steps: number;
  /**
   * Steps of this stage already run by an earlier task (a stage resumed after a hand-off
   * or a lost client). Batches and augmentations continue exactly where it stopped.
   */
  firstStep?: number;
  /** False when a later task finishes the stage: replay and regularizer then wait for it. */
  endsStage?: boolean;
  /**
   * For a chunk trained in several visits (a cyclic relay's, fedavg's rounds): its new
   * samples come in one seeded sequence of shuffled passes that every visit continues
   * (`seed`, the same for each visit), this one `skip` samples in, where the earlier
   * visits stopped. So the visits together draw what one pass over the chunk would, rather
   * than each a fresh shuffle's first samples. Absent: the stage's own shuffle.
   */
  chunkOrder?: { seed: number; skip: number };
  optimizer: OptimizerOptions;
  replay: ReplayOptions;
  regularizer?: RegularizerOptions;
  /** When set, the client evaluates the trained encoder before answering. */
  evaluation?: EvaluationSpec;
  /** How the state and replay buffer travel, both ways (absent: float32, uncompressed). */
  transfer?: TransferSpec;
}

export interface EvalTask {
  kind: 'eval';
  taskId: string;
  seed: number;
  /** Dataset whose labeled train/test splits are used (stream is ignored). */
  dataset: DatasetSpec;
  /** When given, the metrics include per-chunk accuracies for this stream. */
  stream?: StreamSpec;
  /** The seed of the stream's split when it is not `seed` (the scenario's `splitSeed`). */
  splitSeed?: number;
  model: ModelSpec;
  ssl: SslSpec;
  evaluation: EvaluationSpec;
  /** How the state to evaluate travels (absent: float32, uncompressed). */
  transfer?: TransferSpec;
  /** The arm and stage whose state it scores, when it scores one stage's (an evaluation beside the next stage): for the run's displays. */
  arm?: string;
  stage?: number;
}

export type Task = TrainTask | EvalTask;

/** What the analyses of a finished run need to rebuild its data and models: the narrow part of its scenario. */
export interface AnalysisOptions {
  seed: number;
  /** The seed of the stream's split when it is not `seed`. */
  splitSeed?: number;
  dataset: DatasetSpec;
  stream: StreamSpec;
  model: ModelSpec;
  ssl: SslSpec;
  evaluation: EvaluationSpec;
  /** The run's training batch size: sharpness is measured on batches of it. */
  batchSize: number;
  analysis: AnalysisSpec;
}

/** What the analyses need to know of a run's arms (a subset of results.json's arms). */
export interface AnalysisArm {
  name: string;
  /** Its stages are a sequence over chunks (relay): CKA and paths between consecutive stages apply. */
  sequential: boolean;
  /** It trained on the pooled data (joint): the model sequential arms are compared against. */
  reference: boolean;
  /** The stages the arm finished, in order; the last one holds its final model. */
  stages: Array<{ stage: number }>;
}

/** Accuracy on one chunk's share of the test split (its classes, or its domain style). */
export interface ChunkEval {
  chunk: number;
  knnTop1: number;
  linearTop1: number;
  /** Test samples scored for this chunk. */
  samples: number;
}

export interface EvalMetrics {
  knnTop1: number;
  linearTop1: number;
  /** Per-chunk accuracies, when the task named a stream. */
  perChunk?: ChunkEval[];
  seconds: number;
}

export interface TrainMetrics {
  steps: number;
  lossFirst: number;
  lossLast: number;
  trainSeconds: number;
  imagesPerSecond: number;
  /** Time the training loop waited for input batches (the data pipeline falling behind). */
  dataWaitSeconds: number;
  samples: number;
  replaySamplesUsed: number;
  eval?: EvalMetrics;
}

/** Progress a client reports while it trains. */
export interface Progress {
  taskId: string;
  step: number;
  steps: number;
  loss: number;
}
