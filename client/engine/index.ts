/**
 * The training engine a client process drives: loads data once per dataset, trains
 * stages, evaluates encoders. Bytes in, bytes out (see ./types.ts).
 */
import type { LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed } from '../../shared/random.js';
import type { BackendName, DatasetSpec } from '../../shared/scenario.js';
import { decodeState, encodeState } from '../../shared/state/model-state.js';
import { decodeReplay, encodeReplay } from '../../shared/state/replay-buffer.js';
import type { DataSelection, EvalMetrics, EvalTask, Progress, TrainTask } from '../../shared/tasks.js';
import { selectBackend, type BackendChoice } from '../backend.js';
import { extendReplay } from '../continual/replay.js';
import { loadDataset, planStream, selectChunks } from '../data/index.js';
import { computeNormalization, type Normalization } from '../data/normalization.js';
import { evaluateBackbone } from '../eval/evaluate.js';
import { encoderOptions } from '../models/encoder.js';
import { restoreMethod, trainStage } from './trainer.js';
import type { Engine, StreamSummary, TrainOutcome } from './types.js';

interface LoadedData {
  dataset: LabeledDataset;
  norm: Normalization;
}

/** The seed every arm's model starts from, so relay, joint and the floor share an init. */
export function modelSeed(seed: number): number {
  return deriveSeed(seed, 'model');
}

export class TrainingEngine implements Engine {
  private readonly data = new Map<string, Promise<LoadedData>>();

  constructor(readonly backend: BackendChoice) {}

  private load(spec: DatasetSpec): Promise<LoadedData> {
    const key = JSON.stringify(spec);
    let entry = this.data.get(key);
    if (!entry) {
      entry = loadDataset(spec).then((dataset) => ({ dataset, norm: computeNormalization(dataset.train) }));
      // A failed load is not cached: the next task may find the files in place.
      entry.catch(() => this.data.delete(key));
      this.data.set(key, entry);
    }
    return entry;
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
  async train(task: TrainTask, stateBytes: Uint8Array | null, replayBytes: Uint8Array | null, onProgress: (p: Progress) => void): Promise<TrainOutcome> {
    const { dataset, norm } = await this.load(task.data.dataset);
    const plan = planStream(dataset, task.data.stream, task.data.seed);
    const chunk = selectChunks(dataset, plan, task.data.chunks);
    // Read in place: the task runner gives the bytes back to its inbox only once this task is over.
    const previous = stateBytes ? decodeState(stateBytes, { inPlace: true }) : null;
    const replay = replayBytes ? decodeReplay(replayBytes) : null;
    const encoder = encoderOptions(task.model, dataset.train.channels, dataset.train.numClasses);
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
      chunk,
      replay,
      norm,
      previous,
      onProgress,
    );
    try {
      const evaluation = task.evaluation
        ? evaluateBackbone(result.method.online, encoder.backbone, dataset, norm, task.evaluation, task.seed, plan)
        : undefined;
      // The buffer takes the chunk's samples once the stage is over, not halfway through it.
      const nextReplay = task.endsStage === false ? replay : extendReplay(replay, chunk, task.replay, deriveSeed(stageSeed, 'replay'));
      return {
        state: encodeState(result.state),
        replay: nextReplay ? encodeReplay(nextReplay) : null,
        metrics: {
          steps: task.steps,
          lossFirst: result.lossFirst,
          lossLast: result.lossLast,
          trainSeconds: result.trainSeconds,
          imagesPerSecond: (task.steps * task.batchSize) / Math.max(result.trainSeconds, 1e-9),
          samples: chunk.count,
          replaySamplesUsed: result.replaySamplesUsed,
          dataWaitSeconds: result.dataWaitSeconds,
          ...(evaluation ? { eval: evaluation } : {}),
        },
      };
    } finally {
      result.method.dispose();
    }
  }

  async evaluate(task: EvalTask, stateBytes: Uint8Array | null): Promise<EvalMetrics> {
    const { dataset, norm } = await this.load(task.dataset);
    const plan = task.stream ? planStream(dataset, task.stream, task.splitSeed ?? task.seed) : undefined;
    const encoder = encoderOptions(task.model, dataset.train.channels, dataset.train.numClasses);
    const method = restoreMethod({ ssl: task.ssl, encoder, modelSeed: modelSeed(task.seed) }, stateBytes ? decodeState(stateBytes) : null);
    try {
      return evaluateBackbone(method.online, encoder.backbone, dataset, norm, task.evaluation, task.seed, plan);
    } finally {
      method.dispose();
    }
  }
}

/** Loads the requested backend (wasm on `threads` threads, default all cores) and returns an engine on it. */
export async function createEngine(opts: { backend: BackendName; threads?: number }): Promise<TrainingEngine> {
  return new TrainingEngine(await selectBackend(opts.backend, opts.threads === undefined ? {} : { threads: opts.threads }));
}
