/**
 * One training stage: restore the travelling state, run the scheduled optimizer steps on
 * the chunk (plus replay), and package the new state.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../../shared/dataset-types.js';
import { ProgressThrottle } from '../../shared/progress-throttle.js';
import { deriveSeed, Random } from '../../shared/random.js';
import type { ModelState } from '../../shared/state/model-state.js';
import type { SslCommonOptions } from '../../shared/ssl-options/index.js';
import type { OptimizerOptions, Progress, TrainTask } from '../../shared/tasks.js';
import type { Regularizer, RegularizerSettings } from '../continual/regularizer.js';
import { createRegularizer } from '../continual/regularizers.js';
import { replayPerBatch } from '../../shared/replay-mix.js';
import type { AugmentOptions } from '../data/augment.js';
import type { Normalization } from '../data/normalization.js';
import { BatchPipeline, type ViewBatch } from '../data/pipeline.js';
import { sharedBytes } from '../data/shared-bytes.js';
import type { EncoderOptions } from '../models/encoder.js';
import { useFusedBatchNorm } from '../kernels/batch-norm-op.js';
import { GradientRecorder } from '../optim/gradient-recorder.js';
import { Sgd } from '../optim/sgd.js';
import { createMethod, type MethodRegistry } from '../ssl/index.js';
import type { ExtraLoss, SslMethod } from '../ssl/method.js';
import { concatSets, disposeTrainBatch, inputBatches, trainBatchTensors } from './batches.js';
import { BUILT_IN_REGISTRIES, type Registries } from './registries.js';
import { BatchSampler } from './sampler.js';

/**
 * A stage as the trainer runs it: the task's training fields, plus the seeds and encoder
 * the engine derives. Of the SSL options and the regularizer it reads only what every
 * method and every regularizer has: the rest is their factories' business.
 */
export type StageOptions = Pick<TrainTask, 'taskId' | 'batchSize' | 'steps' | 'firstStep' | 'endsStage' | 'optimizer' | 'replay' | 'chunkOrder'> & {
  ssl: SslCommonOptions;
  regularizer?: RegularizerSettings;
  /** Seeds the model's initialization (shared by every arm and the random-init floor). */
  modelSeed: number;
  /** Seeds this stage's batches and augmentations. */
  stageSeed: number;
  encoder: EncoderOptions;
};

export interface StageResult {
  method: SslMethod;
  state: ModelState;
  lossFirst: number;
  lossLast: number;
  trainSeconds: number;
  replaySamplesUsed: number;
  /** Time the training loop waited for input batches (the data pipeline's stall). */
  dataWaitSeconds: number;
}

/** Learning rate at a global step: constant, or cosine-decayed over the arm's steps. */
export function learningRate(o: OptimizerOptions, step: number): number {
  if (o.schedule === 'constant') return o.lr;
  return 0.5 * o.lr * (1 + Math.cos((Math.PI * Math.min(step, o.totalSteps)) / Math.max(1, o.totalSteps)));
}

/** A method with the state restored (or freshly initialized when `state` is null), its factory taken from `methods` (default: the built-in ones). */
export function restoreMethod(o: Pick<StageOptions, 'ssl' | 'encoder' | 'modelSeed'>, state: ModelState | null, methods?: MethodRegistry): SslMethod {
  const method = createMethod(o.ssl, o.encoder, o.modelSeed, methods);
  if (state) {
    if (state.method !== o.ssl.method) {
      method.dispose();
      throw new Error(`model state is for method "${state.method}" but the task trains "${o.ssl.method}"`);
    }
    try {
      method.importState(state.methodState);
    } catch (err) {
      method.dispose();
      throw err;
    }
  }
  return method;
}

/** One method step on a pipeline batch: uploads the views (and labels), steps, frees them. */
function stepOn(method: SslMethod, batch: ViewBatch, optimizer: Sgd, lr: number, rng: Random, extra?: ExtraLoss): number {
  const tensors = trainBatchTensors(batch);
  try {
    return method.step(tensors, optimizer, lr, rng, extra);
  } finally {
    disposeTrainBatch(tensors);
  }
}

/** The augmentation a stage applies: the scenario's, at the chunk's image size. */
function augmentFor(o: StageOptions, chunk: ImageSet): AugmentOptions {
  return { size: chunk.height, ...o.ssl.augment };
}

/**
 * Gradients of the method's SSL loss on `samples` augmented images of the chunk, taken
 * on a throw-away copy so the trained model, its queue and its statistics stay as they are.
 */
async function sslGradients(
  o: StageOptions,
  method: SslMethod,
  chunk: ImageSet,
  norm: Normalization,
  samples: number,
  visit: (grads: Map<string, tf.Tensor>) => void,
  methods: MethodRegistry,
): Promise<void> {
  const copy = restoreMethod(o, { method: o.ssl.method, step: 0, methodState: await method.exportState(), optimizer: null }, methods);
  const seed = deriveSeed(o.stageSeed, 'regularizer', 'ssl-gradients');
  const batches = Math.max(1, Math.ceil(samples / o.batchSize));
  const sampler = new BatchSampler(chunk.count, 0, o.batchSize, 0, seed);
  const pipeline = new BatchPipeline({ pool: chunk, sampler, augment: augmentFor(o, chunk), norm, stageSeed: seed, batches }, { workers: 0 });
  const recorder = new GradientRecorder(visit);
  const rng = new Random(seed);
  try {
    for (let b = 0; b < batches; b++) stepOn(copy, await pipeline.next(), recorder, 0, rng);
  } finally {
    await pipeline.close();
    copy.dispose();
  }
}

// Reporting yields to the event loop (progress, heartbeats): about once a second is plenty.
const PROGRESS_EVERY_MS = 1000;

/**
 * Trains one stage. The caller owns the returned method (for evaluation) and must
 * dispose it. Methods and regularizers are looked up in `registries`.
 */
export async function trainStage(
  o: StageOptions,
  chunk: ImageSet,
  replay: ImageSet | null,
  norm: Normalization,
  previous: ModelState | null,
  onProgress: (p: Progress) => void,
  registries: Registries = BUILT_IN_REGISTRIES,
): Promise<StageResult> {
  const method = restoreMethod(o, previous, registries.methods);
  const optimizer = new Sgd({ momentum: o.optimizer.momentum, weightDecay: o.optimizer.weightDecay });
  let pipeline: BatchPipeline | null = null;
  // For this stage only: evaluation and other tasks compute as before.
  useFusedBatchNorm(o.encoder.batchNorm === 'fused');
  let regularizer: Regularizer | null = null;
  try {
    regularizer = o.regularizer
      ? createRegularizer(
          o.regularizer,
          method.online,
          previous?.regularizer ?? null,
          { backbone: o.encoder.backbone, distillationLoss: (predicted, frozen) => method.distillationLoss(predicted, frozen), seed: o.modelSeed, init: o.encoder.init },
          registries.regularizers,
        )
      : null;
    const extra = regularizer?.extraLoss();
    if (previous?.optimizer && o.optimizer.keepOptimizerState) optimizer.importState(previous.optimizer, method.online.trainable);
    // In shared memory: the pipeline's workers read it where it is (../data/shared-bytes.ts).
    const pool = replay ? concatSets(chunk, replay, sharedBytes) : chunk;
    const perBatch = replayPerBatch(o.replay, o.batchSize, replay?.count ?? 0);
    const sampler = new BatchSampler(chunk.count, replay?.count ?? 0, o.batchSize, perBatch, deriveSeed(o.stageSeed, 'batches'), o.chunkOrder);
    const firstStep = o.firstStep ?? 0;
    // A resumed stage skips the batches its earlier part trained on.
    for (let s = 0; s < firstStep; s++) sampler.next();
    pipeline = new BatchPipeline({ pool, sampler, augment: augmentFor(o, chunk), norm, stageSeed: o.stageSeed, firstBatch: firstStep, batches: o.steps });
    let lossFirst = Number.NaN;
    let loss = Number.NaN;
    const throttle = new ProgressThrottle(PROGRESS_EVERY_MS);
    const started = performance.now();
    for (let s = 0; s < o.steps; s++) {
      const globalStep = o.optimizer.startStep + s;
      const lr = learningRate(o.optimizer, globalStep);
      const batch = await pipeline.next();
      try {
        // The step itself refuses a non-finite loss, before touching the weights.
        loss = stepOn(method, batch, optimizer, lr, new Random(deriveSeed(o.stageSeed, 'step', firstStep + s)), extra);
        // The step has copied the views into tensors: the next batches are built in their memory.
        pipeline.recycle(batch);
      } catch (err) {
        throw new Error(`step ${firstStep + s + 1}: ${(err as Error).message}`, { cause: err });
      }
      if (s === 0) lossFirst = loss;
      if (throttle.passes(o.taskId, s + 1, o.steps)) {
        onProgress({ taskId: o.taskId, step: s + 1, steps: o.steps, loss });
        // Let the event loop deliver progress and heartbeats between steps.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const dataWaitSeconds = pipeline.waitStats().totalMs / 1000;
    if (regularizer && o.regularizer && (o.endsStage ?? true)) {
      const samples = o.regularizer.samples;
      const seed = deriveSeed(o.stageSeed, 'regularizer');
      await regularizer.afterStage({
        online: method.online,
        backbone: o.encoder.backbone,
        plainBatches: () => inputBatches(chunk, norm, samples, 64, seed),
        sslGradients: (visit) => sslGradients(o, method, chunk, norm, samples, visit, registries.methods),
      });
    }
    // First: a regularizer that lent the method parameters takes them back.
    const regularizerState = regularizer ? regularizer.exportState() : null;
    const state: ModelState = {
      method: o.ssl.method,
      step: o.optimizer.startStep + o.steps,
      methodState: await method.exportState(),
      ...(method.partMeta ? { partMeta: method.partMeta } : {}),
      optimizer: o.optimizer.keepOptimizerState ? await optimizer.exportState() : null,
      regularizer: regularizerState,
    };
    return { method, state, lossFirst, lossLast: loss, trainSeconds, replaySamplesUsed: perBatch * o.steps, dataWaitSeconds };
  } catch (err) {
    // The regularizer first: it takes back any parameters it lent the method.
    regularizer?.dispose();
    regularizer = null;
    method.dispose();
    throw err;
  } finally {
    useFusedBatchNorm(false);
    await pipeline?.close();
    regularizer?.dispose();
    optimizer.dispose();
  }
}
