/**
 * The training engine a client process drives: trains stages, evaluates encoders. Bytes
 * in, bytes out (see ./types.ts).
 *
 * A task opens its dataset, gathers what it uses (its chunks, the evaluation subsets) and
 * lets the rest go before it trains: the whole dataset (55 MB for Fashion-MNIST) stayed
 * beside a training step's and an evaluation's peaks before, in every client. Where the
 * loader can, the pixels stay in its cache file and only the gathered images are read
 * (../data/image-rows.ts); each task opens it again. Its normalization is kept, computed
 * once per dataset, and on disk for the machine's other clients (../data/normalization-cache.ts).
 */
import type { ImageSet } from '../../shared/dataset-types.js';
import { deriveSeed } from '../../shared/random.js';
import type { BackendName, DatasetSpec } from '../../shared/scenario.js';
import { decodeState, encodeState } from '../../shared/state/model-state.js';
import { decodeReplay, encodeReplay } from '../../shared/state/replay-buffer.js';
import type { StreamPlan } from '../../shared/stream/index.js';
import type { DataSelection, EvalMetrics, EvalTask, Progress, TrainTask } from '../../shared/tasks.js';
import { selectBackend, type BackendChoice } from '../backend.js';
import { extendReplay } from '../continual/replay.js';
import type { DatasetRows } from '../data/image-rows.js';
import { openDataset, planStream, selectChunks } from '../data/index.js';
import type { Normalization } from '../data/normalization.js';
import { cachedNormalization } from '../data/normalization-cache.js';
import { evaluateOnSets, evaluationSets, type EvaluationSets } from '../eval/evaluate.js';
import { encoderOptions } from '../models/encoder.js';
import { withConvolutions } from './convolutions.js';
import { restoreMethod, trainStage } from './trainer.js';
import { resultMemory, type Engine, type StreamSummary, type TrainInputs, type TrainOutcome } from './types.js';

interface LoadedData {
  dataset: DatasetRows;
  norm: Normalization;
}

/** What a train task keeps of its dataset: the chunks it trains on and the subsets it is scored on. */
interface StageData {
  /** Let go (null) once the stage has trained and the replay buffer has taken its samples. */
  chunk: ImageSet | null;
  plan: StreamPlan;
  norm: Normalization;
  evalSets: EvaluationSets | null;
  channels: number;
  numClasses: number;
}

/** The seed every arm's model starts from, so relay, joint and the floor share an init. */
export function modelSeed(seed: number): number {
  return deriveSeed(seed, 'model');
}

export class TrainingEngine implements Engine {
  /** Each dataset's normalization, by its spec: a pass over every training pixel, computed once (or read from the machine's cache). */
  private readonly norms = new Map<string, Normalization>();

  constructor(readonly backend: BackendChoice) {}

  /** The dataset of `spec`, loaded for one task (see the file comment), and its normalization. */
  private async load(spec: DatasetSpec): Promise<LoadedData> {
    const dataset = await openDataset(spec);
    const key = JSON.stringify(spec);
    let norm = this.norms.get(key);
    if (!norm) {
      norm = await cachedNormalization(dataset.train);
      this.norms.set(key, norm);
    }
    return { dataset, norm };
  }

  /** A train task's data, gathered; the dataset itself is not kept. */
  private async stageData(task: TrainTask): Promise<StageData> {
    const { dataset, norm } = await this.load(task.data.dataset);
    const plan = planStream(dataset, task.data.stream, task.data.seed);
    return {
      chunk: selectChunks(dataset, plan, task.data.chunks),
      plan,
      norm,
      evalSets: task.evaluation ? evaluationSets(dataset, task.evaluation, task.seed) : null,
      channels: dataset.train.channels,
      numClasses: dataset.train.numClasses,
    };
  }

  async describeStream(selection: Omit<DataSelection, 'chunks'>): Promise<StreamSummary> {
    const { dataset } = await this.load(selection.dataset);
    const plan = planStream(dataset, selection.stream, selection.seed);
    return {
      trainCount: dataset.train.count,
      testCount: dataset.test.count,
      numClasses: dataset.train.numClasses,
      chunks: plan.chunks.map((c) => ({ id: c.id, size: c.indices.length, classes: c.classes, style: c.style, ...(c.domains ? { domains: c.domains } : {}) })),
      ...(dataset.domains ? { domains: dataset.domains } : {}),
      ...(dataset.skipped && dataset.skipped.count > 0 ? { skippedFiles: dataset.skipped } : {}),
    };
  }

  /** Trains one stage; a diverged step is named in the error (the coordinator adds arm, stage and client). */
  async train(task: TrainTask, stateBytes: Uint8Array | null, replayBytes: Uint8Array | null, onProgress: (p: Progress) => void, inputs: TrainInputs = {}): Promise<TrainOutcome> {
    const data = await this.stageData(task);
    const { norm, plan } = data;
    // Read through `data` only, never a local of its own: a local would hold the chunk to the end.
    const samples = (data.chunk as ImageSet).count;
    // Read in place: the task runner gives the bytes back to its inbox only once this task is over.
    const previous = stateBytes ? decodeState(stateBytes, { inPlace: true }) : null;
    const replay = replayBytes ? decodeReplay(replayBytes) : null;
    const encoder = encoderOptions(task.model, data.channels, data.numClasses);
    // Training and the evaluation after it alike.
    return withConvolutions(encoder.convolutions, async () => {
      const stageSeed = deriveSeed(task.seed, task.arm, task.stage);
      const result = await trainStage(
        {
          modelSeed: modelSeed(task.seed),
          stageSeed,
          ssl: task.ssl,
          encoder,
          batchSize: task.batchSize,
          steps: task.steps,
          ...(task.firstStep !== undefined ? { firstStep: task.firstStep } : {}),
          ...(task.endsStage !== undefined ? { endsStage: task.endsStage } : {}),
          ...(task.chunkOrder ? { chunkOrder: task.chunkOrder } : {}),
          optimizer: task.optimizer,
          replay: task.replay,
          ...(task.regularizer ? { regularizer: task.regularizer } : {}),
          taskId: task.taskId,
        },
        data.chunk as ImageSet,
        replay,
        norm,
        previous,
        onProgress,
      );
      try {
        // The buffer takes the chunk's samples once the stage is over, not halfway through it.
        const nextReplay = task.endsStage === false ? replay : extendReplay(replay, data.chunk as ImageSet, task.replay, deriveSeed(stageSeed, 'replay'));
        // Nothing reads the chunk any more: the evaluation's peak does without it.
        data.chunk = null;
        const evaluation = task.evaluation && data.evalSets ? evaluateOnSets(result.method.online, encoder.backbone, data.evalSets, norm, task.evaluation, task.seed, plan) : undefined;
        return {
          // Into the memory of the state it was handed, when that is its own: read (in place) for
          // the last time before training; else into the memory lent for it, if any.
          state: encodeState(result.state, resultMemory(stateBytes, inputs)),
          replay: nextReplay ? encodeReplay(nextReplay) : null,
          metrics: {
            steps: task.steps,
            lossFirst: result.lossFirst,
            lossLast: result.lossLast,
            trainSeconds: result.trainSeconds,
            imagesPerSecond: (task.steps * task.batchSize) / Math.max(result.trainSeconds, 1e-9),
            samples,
            replaySamplesUsed: result.replaySamplesUsed,
            dataWaitSeconds: result.dataWaitSeconds,
            ...(evaluation ? { eval: evaluation } : {}),
          },
        };
      } finally {
        result.method.dispose();
      }
    });
  }

  /** An eval task's data, gathered; the dataset itself is not kept. */
  private async evalData(task: EvalTask): Promise<{ sets: EvaluationSets; norm: Normalization; plan: StreamPlan | undefined; encoder: ReturnType<typeof encoderOptions> }> {
    const { dataset, norm } = await this.load(task.dataset);
    return {
      sets: evaluationSets(dataset, task.evaluation, task.seed),
      norm,
      plan: task.stream ? planStream(dataset, task.stream, task.splitSeed ?? task.seed) : undefined,
      encoder: encoderOptions(task.model, dataset.train.channels, dataset.train.numClasses),
    };
  }

  async evaluate(task: EvalTask, stateBytes: Uint8Array | null): Promise<EvalMetrics> {
    const { sets, norm, plan, encoder } = await this.evalData(task);
    // In place, as train() reads its state: the task runner recycles the bytes only after the task.
    const method = restoreMethod({ ssl: task.ssl, encoder, modelSeed: modelSeed(task.seed) }, stateBytes ? decodeState(stateBytes, { inPlace: true }) : null);
    try {
      return await withConvolutions(encoder.convolutions, async () => evaluateOnSets(method.online, encoder.backbone, sets, norm, task.evaluation, task.seed, plan));
    } finally {
      method.dispose();
    }
  }
}

/** Loads the requested backend (wasm on `threads` threads, default all cores) and returns an engine on it. */
export async function createEngine(opts: { backend: BackendName; threads?: number }): Promise<TrainingEngine> {
  return new TrainingEngine(await selectBackend(opts.backend, opts.threads === undefined ? {} : { threads: opts.threads }));
}
