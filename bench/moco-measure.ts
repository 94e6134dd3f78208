/**
 * MoCo-v2 training throughput on the active tfjs backend, in this process.
 *
 * Throughput: the bench's training loop (./moco-loop.ts), warm-up steps first, then
 * `steps` timed steps; `MocoV2.step` reads the loss back, so every step is finished when
 * it returns.
 * Breakdown: a separate pass of instrumented steps (./moco-phases.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mocoStepFlops } from '../client/models/flops.js';
import { IMAGE, type StepMs } from './configs.js';
import { openMocoLoop, type LoopOptions } from './moco-loop.js';
import { PhaseTimer, type PhaseMs } from './moco-phases.js';

export interface MeasureOptions extends LoopOptions {
  warmupSteps: number;
  /** Timed steps; null picks as many as fit in `seconds` (at least 3). */
  steps: number | null;
  /** Time budget of the throughput loop when `steps` is null. */
  seconds: number;
  /** Instrumented steps (after one untimed); null: about half the throughput loop's time. */
  breakdownSteps: number | null;
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

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export async function measureMoco(o: MeasureOptions): Promise<Measurement> {
  if (o.steps === null && o.warmupSteps < 1) throw new Error('a step count chosen from a time budget needs at least one warm-up step');
  const loop = openMocoLoop(o);
  const { pool, augment, norm, seed, encoder, ssl, method, optimizer, lr, rng, sampler } = loop.parts;
  let timer: PhaseTimer | null = null;
  try {
    const lastWarmMs = await loop.warmUp(o.warmupSteps);
    const steps = o.steps ?? clamp(Math.round((o.seconds * 1000) / Math.max(lastWarmMs, 1)), 3, 10_000);
    loop.takeDataWaitMs();
    const tensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    const first = await loop.step();
    let last = first;
    for (let s = 1; s < steps; s++) last = await loop.step();
    const elapsedMs = performance.now() - start;
    const dataWaitMs = loop.takeDataWaitMs();
    const leakedTensors = tf.memory().numTensors - tensorsBefore;
    await loop.closePipeline();

    const stepMs = elapsedMs / steps;
    const breakdownSteps = o.breakdownSteps ?? clamp(Math.round(steps / 2), 1, 50);
    timer = new PhaseTimer(method.online, { pool, augment, norm, seed, encoder, ssl, optimizer, lr, rng });
    const phases: PhaseMs[] = [];
    for (let s = 0; s <= breakdownSteps; s++) {
      const p = timer.step(sampler.next(), steps + s);
      if (s > 0) phases.push(p); // the first one warms the instrumented path up
    }

    const seconds = elapsedMs / 1000;
    const imgPerSec = (steps * o.batch) / seconds;
    const flopsPerImage = mocoStepFlops(encoder, IMAGE.height, IMAGE.width, ssl.queueSize);
    return {
      dataWorkers: loop.dataWorkers,
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
    timer?.dispose();
    await loop.dispose();
  }
}
