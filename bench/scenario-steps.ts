/**
 * Training steps of a scenario as its clients would take them: its model, method, batch
 * size, optimizer, batch norm and convolutions, on views of its dataset's geometry (the
 * augmentation keeps the images' size). The views are random and made before the clock
 * starts, with no input pipeline, so the time measured is the step's alone: what a
 * kernel profile of that scenario looks at (bench/kernel-profile.ts --scenario).
 */
import * as tf from '@tensorflow/tfjs-core';
import { datasetGeometry } from '../shared/dataset-geometry.js';
import { deriveSeed, Random } from '../shared/random.js';
import type { Scenario } from '../shared/scenario.js';
import { useFusedBatchNorm } from '../client/kernels/batch-norm-op.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { encoderOptions } from '../client/models/encoder.js';
import { Sgd, type SgdOptions } from '../client/optim/sgd.js';
import { createMethod } from '../client/ssl/index.js';
import type { TrainBatch } from '../client/ssl/method.js';

export interface ScenarioSteps {
  /** Views of the step: batch, height, width, channels. */
  shape: [number, number, number, number];
  /** The online model's trainable weights, by parameter name (what the steps update). */
  trainable: Map<string, tf.Variable>;
  /** Runs `count` training steps; returns milliseconds per step. */
  run(count: number): number;
  dispose(): void;
}

export interface ScenarioStepsOptions {
  /** Seed of the method's initial weights and its own randomness (default 1). */
  seed?: number;
  /** Seed of the random views (default: `seed`): replicas of one model train on different views. */
  viewSeed?: number;
  /** The optimizer the steps update with (default: the scenario's SGD). */
  optimizer?: (options: SgdOptions) => Sgd;
}

/** The scenario's training step, ready to run; throws naming what the scenario lacks. */
export function scenarioSteps(scenario: Scenario, o: ScenarioStepsOptions = {}): ScenarioSteps {
  const seed = o.seed ?? 1;
  const viewSeed = o.viewSeed ?? seed;
  const geometry = datasetGeometry(scenario.dataset);
  if (geometry.channels === undefined || geometry.height === undefined) {
    throw new Error(`dataset ${scenario.dataset.name}: its image size is only known once loaded; give a built-in, synthetic or folder dataset with imageSize`);
  }
  const shape: [number, number, number, number] = [scenario.training.batchSize, geometry.height, geometry.width ?? geometry.height, geometry.channels];
  // Only the supervised baseline has a class head; createMethod refuses it without the count.
  const numClasses = scenario.ssl.method === 'supervised' ? geometry.numClasses : undefined;
  const method = createMethod(scenario.ssl, encoderOptions(scenario.model, geometry.channels, numClasses), seed);
  const opt = scenario.training.optimizer;
  const sgdOptions: SgdOptions = { momentum: opt.momentum, weightDecay: opt.weightDecay };
  const optimizer = o.optimizer ? o.optimizer(sgdOptions) : new Sgd(sgdOptions);
  const rng = new Random(deriveSeed(seed, 'scenario-steps'));
  const batch: TrainBatch = {
    view1: tf.randomNormal(shape, 0, 1, 'float32', viewSeed),
    view2: tf.randomNormal(shape, 0, 1, 'float32', viewSeed + 1),
    ...(numClasses !== undefined ? { labels: tf.randomUniformInt([shape[0]], 0, numClasses, viewSeed) as tf.Tensor1D } : {}),
  };
  return {
    shape,
    trainable: method.online.trainable,
    run(count) {
      useFusedBatchNorm(scenario.model.batchNorm === 'fused');
      useConvolutions(scenario.model.convolutions);
      try {
        const start = performance.now();
        for (let s = 0; s < count; s++) {
          const loss = method.step(batch, optimizer, opt.lr, rng);
          if (!Number.isFinite(loss)) throw new Error(`step ${s}: loss is ${loss}`);
        }
        return (performance.now() - start) / count;
      } finally {
        useFusedBatchNorm(false);
        useConvolutions('direct');
      }
    },
    dispose() {
      tf.dispose([batch.view1, batch.view2, ...(batch.labels ? [batch.labels] : [])]);
      optimizer.dispose();
      method.dispose();
    },
  };
}
