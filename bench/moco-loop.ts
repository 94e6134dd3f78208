/**
 * The bench's MoCo-v2 training loop, open for as long as its owner steps it: the loop
 * of `trainStage` (client/engine/trainer.ts) on random uint8 images through the input
 * pipeline (augmentation and normalization in worker threads by default), `MocoV2.step`
 * with SGD. `measureMoco` (./moco-measure.ts) times one stretch of it; the slice worker
 * (./slice-worker.ts) keeps it warm and steps it in slices on request.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Random } from '../shared/random.js';
import type { ImagePool } from '../client/data/augment-cpu.js';
import type { Normalization } from '../client/data/normalization.js';
import { BatchPipeline } from '../client/data/pipeline.js';
import { BatchSampler } from '../client/engine/sampler.js';
import { encoderOptions } from '../client/models/encoder.js';
import { Sgd } from '../client/optim/sgd.js';
import { createMethod } from '../client/ssl/index.js';
import type { SslMethod } from '../client/ssl/method.js';
import { useFusedBatchNorm } from '../client/kernels/batch-norm-op.js';
import type { BatchNormKernel } from '../shared/scenario.js';
import type { PhaseContext } from './moco-phases.js';
import { benchScenario, IMAGE, type ModelConfig } from './configs.js';

export interface LoopOptions extends ModelConfig {
  /** Input pipeline worker threads; undefined: the pipeline's default, as training uses. */
  dataWorkers?: number;
  /** Training batch norm as a scenario's `model.batchNorm` asks (default composed). */
  batchNorm?: BatchNormKernel;
  seed?: number;
}

export interface MocoLoop {
  /** One training step, finished when it resolves (the step reads its loss back); the loss. */
  step(): Promise<number>;
  /** `steps` untimed steps; the milliseconds the last one took (0 for none): what sizes a timed stretch. */
  warmUp(steps: number): Promise<number>;
  /** Milliseconds the steps since the last call waited for the input pipeline; resets the count. */
  takeDataWaitMs(): number;
  /** Worker threads of the input pipeline (0 = in-thread). */
  readonly dataWorkers: number;
  /** What the bench's phase breakdown replays the step from (./moco-phases.ts). */
  readonly parts: PhaseContext & { method: SslMethod; sampler: BatchSampler };
  /** Stops the input pipeline's workers; the model stays until `dispose`. */
  closePipeline(): Promise<void>;
  /** Everything, the pipeline included. */
  dispose(): Promise<void>;
}

const POOL_IMAGES = 512;
/** Roughly the statistics of uniform random bytes in [0, 1]. */
export const NORM: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] };

/** `count` images of random bytes, of the bench's geometry. */
export function randomPool(count: number, seed: number): ImagePool {
  const rng = new Random(seed);
  const images = new Uint8Array(count * IMAGE.height * IMAGE.width * IMAGE.channels);
  for (let i = 0; i < images.length; i += 4) {
    const r = rng.nextUint32();
    images[i] = r & 255;
    images[i + 1] = (r >>> 8) & 255;
    images[i + 2] = (r >>> 16) & 255;
    images[i + 3] = r >>> 24;
  }
  return { images, count, height: IMAGE.height, width: IMAGE.width, channels: IMAGE.channels };
}

/** A training loop of the configuration's MoCo-v2 step, ready to step. */
export function openMocoLoop(o: LoopOptions): MocoLoop {
  const seed = o.seed ?? 1;
  const scenario = benchScenario(o);
  const encoder = encoderOptions(scenario.model, IMAGE.channels);
  const ssl = scenario.ssl;
  if (ssl.method !== 'moco-v2') throw new Error(`the bench measures moco-v2, not ${ssl.method}`);
  const opt = scenario.training.optimizer;
  const augment = { size: IMAGE.height, ...ssl.augment };
  const pool = randomPool(Math.max(POOL_IMAGES, 2 * o.batch), seed);
  const method = createMethod(ssl, encoder, seed);
  const optimizer = new Sgd({ momentum: opt.momentum, weightDecay: opt.weightDecay });
  const rng = new Random(deriveSeed(seed, 'shuffle-bn'));
  const sampler = new BatchSampler(pool.count, 0, o.batch, 0, deriveSeed(seed, 'batches'));
  const pipeline = new BatchPipeline({ pool, sampler, augment, norm: NORM, stageSeed: seed }, o.dataWorkers === undefined ? {} : { workers: o.dataWorkers });
  // Process-wide, as a task sets it for its stage; undone by dispose.
  useFusedBatchNorm(o.batchNorm === 'fused');
  let dataWaitMs = 0;
  const loop: MocoLoop = {
    dataWorkers: pipeline.liveWorkers,
    parts: { pool, augment, norm: NORM, seed, encoder, ssl, method, optimizer, lr: opt.lr, rng, sampler },
    async step() {
      const waitStart = performance.now();
      const batch = await pipeline.next();
      dataWaitMs += performance.now() - waitStart;
      const view1 = tf.tensor4d(batch.view1, batch.shape);
      const view2 = tf.tensor4d(batch.view2, batch.shape);
      const loss = method.step({ view1, view2 }, optimizer, opt.lr, rng);
      tf.dispose([view1, view2]);
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
      return loss;
    },
    async warmUp(steps) {
      let lastMs = 0;
      for (let s = 0; s < steps; s++) {
        const t0 = performance.now();
        await loop.step();
        lastMs = performance.now() - t0;
      }
      return lastMs;
    },
    takeDataWaitMs() {
      const ms = dataWaitMs;
      dataWaitMs = 0;
      return ms;
    },
    closePipeline: () => pipeline.close(),
    async dispose() {
      useFusedBatchNorm(false);
      await pipeline.close();
      optimizer.dispose();
      method.dispose();
    },
  };
  return loop;
}
