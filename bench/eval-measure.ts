/**
 * Evaluation throughput on the active tfjs backend, in this process: what a stage's
 * evaluation (client/eval/evaluate.ts) costs for one bench configuration.
 *
 * - Feature extraction: `extractFeatures` (the frozen backbone in inference mode, in
 *   batches) over random images of the bench's geometry, one warm-up batch, then as many
 *   images as fit in the time budget (at most bank + test): images/s.
 * - kNN and linear probe: `knnPredict` and `linearProbePredict` on a bank and a test set
 *   of the evaluation's sizes, their rows the extracted features repeated: seconds each.
 *
 * A stage's evaluation then takes about (bank + test) / img/s + kNN + linear seconds.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageSet } from '../shared/dataset-types.js';
import type { EvaluationSpec } from '../shared/scenario.js';
import { extractFeatures, EVAL_BATCH, type FeatureSet } from '../client/eval/features.js';
import { knnPredict } from '../client/eval/knn.js';
import { linearProbePredict } from '../client/eval/linear-probe.js';
import { encoderOptions } from '../client/models/encoder.js';
import { createParams, disposeParams } from '../client/models/params.js';
import { backboneDecls } from '../client/models/resnet.js';
import { benchScenario, IMAGE, type ModelConfig } from './configs.js';
import { NORM, randomPool } from './moco-loop.js';

const CLASSES = 10;

export interface EvalMeasureOptions extends ModelConfig {
  /** Time budget of the extraction loop. */
  seconds: number;
  /** Small sizes (256 images, bank 512, test 256, 2 probe epochs): rough numbers, for tests. */
  quick: boolean;
  seed?: number;
}

export interface EvalMeasurement {
  /** Images the timed extraction ran over. */
  images: number;
  extractSeconds: number;
  /** Feature extraction, images per second. */
  imgPerSec: number;
  featureDim: number;
  /** kNN bank and linear-probe training set size. */
  trainSamples: number;
  /** Scored samples. */
  testSamples: number;
  knnK: number;
  linearEpochs: number;
  knnSeconds: number;
  linearSeconds: number;
  /** (trainSamples + testSamples) / imgPerSec + knnSeconds + linearSeconds: one stage's evaluation. */
  stageSeconds: number;
  /** Tensors left over (should be 0). */
  leakedTensors: number;
}

function randomSet(count: number, seed: number): ImageSet {
  const pool = randomPool(count, seed);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % CLASSES);
  return { ...pool, labels, numClasses: CLASSES, classNames: Array.from({ length: CLASSES }, (_, c) => `c${c}`) };
}

/** `count` rows: `f`'s rows repeated, labels cycling through the classes. */
function repeated(f: FeatureSet, count: number): FeatureSet {
  const values = new Float32Array(count * f.dim);
  for (let i = 0; i < count; i++) values.set(f.values.subarray((i % f.count) * f.dim, ((i % f.count) + 1) * f.dim), i * f.dim);
  return { values, labels: Uint8Array.from({ length: count }, (_, i) => i % CLASSES), count, dim: f.dim };
}

const seconds = (since: number) => (performance.now() - since) / 1000;

function sizes(spec: EvaluationSpec, quick: boolean): EvaluationSpec {
  return quick ? { ...spec, trainSamples: 512, testSamples: 256, linear: { ...spec.linear, epochs: 2 } } : spec;
}

export function measureEval(o: EvalMeasureOptions): EvalMeasurement {
  const seed = o.seed ?? 1;
  const scenario = benchScenario(o);
  const spec = sizes(scenario.evaluation, o.quick);
  const { backbone, init } = encoderOptions(scenario.model, IMAGE.channels);
  const tensorsBefore = tf.memory().numTensors;
  const p = createParams(backboneDecls(backbone), seed, init);
  try {
    const warm = performance.now();
    extractFeatures(p, backbone, randomSet(EVAL_BATCH, seed), NORM);
    const perImage = seconds(warm) / EVAL_BATCH;
    const total = spec.trainSamples + spec.testSamples;
    const fit = Math.round(o.seconds / Math.max(perImage, 1e-6) / EVAL_BATCH) * EVAL_BATCH;
    const images = o.quick ? EVAL_BATCH : Math.min(total, Math.max(EVAL_BATCH, fit));
    const set = randomSet(images, seed + 1);
    const started = performance.now();
    const features = extractFeatures(p, backbone, set, NORM);
    const extractSeconds = seconds(started);
    const bank = repeated(features, spec.trainSamples);
    const test = repeated(features, spec.testSamples);
    const knnStart = performance.now();
    knnPredict(bank, test, { ...spec.knn, numClasses: CLASSES });
    const knnSeconds = seconds(knnStart);
    const linearStart = performance.now();
    linearProbePredict(bank, test, { ...spec.linear, numClasses: CLASSES, seed });
    const linearSeconds = seconds(linearStart);
    const imgPerSec = images / extractSeconds;
    return {
      images,
      extractSeconds,
      imgPerSec,
      featureDim: features.dim,
      trainSamples: spec.trainSamples,
      testSamples: spec.testSamples,
      knnK: spec.knn.k,
      linearEpochs: spec.linear.epochs,
      knnSeconds,
      linearSeconds,
      stageSeconds: total / imgPerSec + knnSeconds + linearSeconds,
      leakedTensors: tf.memory().numTensors - tensorsBefore - p.trainable.size - p.buffers.size,
    };
  } finally {
    disposeParams(p);
  }
}
