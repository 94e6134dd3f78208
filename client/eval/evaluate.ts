/**
 * Evaluation of a frozen backbone on a labeled dataset: kNN and linear-probe top-1 on
 * the test split, with a seeded subset of the training split as bank and probe data.
 */
import type { LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed, Random } from '../../shared/random.js';
import type { EvaluationSpec } from '../../shared/scenario.js';
import type { EvalMetrics } from '../../shared/tasks.js';
import { subset } from '../data/index.js';
import type { Normalization } from '../engine/batches.js';
import type { Params } from '../models/params.js';
import type { BackboneOptions } from '../models/resnet.js';
import { extractFeatures } from './features.js';
import { knnTop1 } from './knn.js';
import { linearProbeTop1 } from './linear-probe.js';

function firstOrSample(count: number, wanted: number, seed: number): Uint32Array {
  const all = Uint32Array.from({ length: count }, (_, i) => i);
  if (wanted >= count) return all;
  return new Random(seed).shuffle(all).slice(0, wanted).sort();
}

export function evaluateBackbone(p: Params, o: BackboneOptions, data: LabeledDataset, norm: Normalization, spec: EvaluationSpec, seed: number): EvalMetrics {
  const started = performance.now();
  const bankSet = subset(data.train, firstOrSample(data.train.count, spec.trainSamples, deriveSeed(seed, 'eval', 'bank')));
  const testSet = subset(data.test, firstOrSample(data.test.count, spec.testSamples, deriveSeed(seed, 'eval', 'test')));
  const bank = extractFeatures(p, o, bankSet, norm);
  const test = extractFeatures(p, o, testSet, norm);
  const numClasses = data.train.numClasses;
  const knn = knnTop1(bank, test, { k: spec.knn.k, temperature: spec.knn.temperature, numClasses });
  const linear = linearProbeTop1(bank, test, { ...spec.linear, numClasses, seed: deriveSeed(seed, 'eval', 'probe') });
  return { knnTop1: knn, linearTop1: linear, seconds: (performance.now() - started) / 1000 };
}
