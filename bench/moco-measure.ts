/**
 * MoCo-v2 training throughput on the active tfjs backend, in this process.
 *
 * Throughput: the training loop of `trainStage` (client/engine/trainer.ts): batches of
 * random uint8 images from the input pipeline (augmentation + normalization, in worker
 * threads by default), `MocoV2.step` with SGD. Warm-up steps first, then `steps` timed
 * steps; `MocoV2.step` reads the loss back, so every step is finished when it returns.
 * Breakdown: a separate pass of instrumented steps (./moco-phases.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed, Random } from '../shared/random.js';
import type { ImagePool } from '../client/data/augment-cpu.js';
import type { Normalization } from '../client/data/normalization.js';
import { BatchPipeline } from '../client/data/pipeline.js';
import { BatchSampler } from '../client/engine/sampler.js';
import { encoderOptions } from '../client/models/encoder.js';
import { mocoStepFlops } from '../client/models/flops.js';
import { Sgd } from '../client/optim/sgd.js';
import { createMethod } from '../client/ssl/index.js';
import { benchScenario, IMAGE, type ModelConfig, type StepMs } from './configs.js';
import { PhaseTimer, type PhaseMs } from './moco-phases.js';
import { useFusedBatchNorm } from '../client/kernels/batch-norm-op.js';
import type { BatchNormKernel } from '../shared/scenario.js';

export interface MeasureOptions extends ModelConfig {
  warmupSteps: number;
  /** Timed steps; null picks as many as fit in `seconds` (at least 3). */
  steps: number | null;
  /** Time budget of the throughput loop when `steps` is null. */
  seconds: number;
  /** Instrumented steps (after one untimed); null: about half the throughput loop's time. */
  breakdownSteps: number | null;
  /** Input pipeline worker threads; undefined: the pipeline's default, as training uses. */
  dataWorkers?: number;
  /** Training batch norm as a scenario's `model.batchNorm` asks (default composed). */
  batchNorm?: BatchNormKernel;
  seed?: number;
}

export interface Measurement {
  /** Worker threads of the input pipeline during the throughput loop (0 = in-thread). */
  dataWorkers: number;
  warmupSteps: number;
  steps: number;
  /** Steps of the separate, instrumented pass that gives the phases. */
  breakdownSteps: number;
  seconds: number;
  /**
   * When the timed steps started and ended, in ms since the epoch (`performance.timeOrigin`
   * based), so that measurements run side by side can be checked for overlap
   * (./moco-copies.ts). Absent in older reports.
   */
  timedFromMs?: number;
  timedToMs?: number;
  imgPerSec: number;
  stepMs: StepMs;
  /** Analytic FLOPs of one MoCo step per image (client/models/flops.ts). */
  flopsPerImage: number;
  gflops: number;
  loss: { first: number; last: number };
  /** Tensors left over after the timed steps (should be 0). */
  leakedTensors: number;
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

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function measureMoco(o: MeasureOptions): Promise<Measurement> {
  if (o.steps === null && o.warmupSteps < 1) throw new Error('a step count chosen from a time budget needs at least one warm-up step');
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
  const dataWorkers = pipeline.liveWorkers;
  let timer: PhaseTimer | null = null;
  useFusedBatchNorm(o.batchNorm === 'fused');
  try {
    let dataWaitMs = 0;
    const trainStep = async (): Promise<number> => {
      const waitStart = performance.now();
      const batch = await pipeline.next();
      dataWaitMs += performance.now() - waitStart;
      const view1 = tf.tensor4d(batch.view1, batch.shape);
      const view2 = tf.tensor4d(batch.view2, batch.shape);
      const loss = method.step({ view1, view2 }, optimizer, opt.lr, rng);
      tf.dispose([view1, view2]);
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss}`);
      return loss;
    };

    let lastWarmMs = 0;
    for (let s = 0; s < o.warmupSteps; s++) {
      const t0 = performance.now();
      await trainStep();
      lastWarmMs = performance.now() - t0;
    }
    const steps = o.steps ?? clamp(Math.round((o.seconds * 1000) / Math.max(lastWarmMs, 1)), 3, 10_000);
    dataWaitMs = 0;
    const tensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    const first = await trainStep();
    let last = first;
    for (let s = 1; s < steps; s++) last = await trainStep();
    const elapsedMs = performance.now() - start;
    const leakedTensors = tf.memory().numTensors - tensorsBefore;
    await pipeline.close();

    const stepMs = elapsedMs / steps;
    const breakdownSteps = o.breakdownSteps ?? clamp(Math.round(steps / 2), 1, 50);
    timer = new PhaseTimer(method.online, { pool, augment, norm: NORM, seed, encoder, ssl, optimizer, lr: opt.lr, rng });
    const phases: PhaseMs[] = [];
    for (let s = 0; s <= breakdownSteps; s++) {
      const p = timer.step(sampler.next(), steps + s);
      if (s > 0) phases.push(p); // the first one warms the instrumented path up
    }

    const seconds = elapsedMs / 1000;
    const imgPerSec = (steps * o.batch) / seconds;
    const flopsPerImage = mocoStepFlops(encoder, IMAGE.height, IMAGE.width, ssl.queueSize);
    return {
      dataWorkers,
      warmupSteps: o.warmupSteps,
      steps,
      breakdownSteps,
      seconds,
      timedFromMs: performance.timeOrigin + start,
      timedToMs: performance.timeOrigin + start + elapsedMs,
      imgPerSec,
      stepMs: {
        total: stepMs,
        dataWait: dataWaitMs / steps,
        data: mean(phases.map((p) => p.data)),
        forward: mean(phases.map((p) => p.forward)),
        backward: mean(phases.map((p) => p.backward)),
        optimizer: mean(phases.map((p) => p.optimizer)),
      },
      flopsPerImage,
      gflops: (imgPerSec * flopsPerImage) / 1e9,
      loss: { first, last },
      leakedTensors,
    };
  } finally {
    useFusedBatchNorm(false);
    timer?.dispose();
    await pipeline.close();
    optimizer.dispose();
    method.dispose();
  }
}
