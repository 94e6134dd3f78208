/**
 * Evaluation of a frozen backbone on a labeled dataset: kNN and linear-probe top-1 on
 * the test split, with a seeded subset of the training split as bank and probe data.
 *
 * Given the stream plan, it also scores each chunk: for class-incremental streams, the
 * accuracy on the test samples of that chunk's classes (probe and bank over all classes);
 * for the domain stream, the accuracy on the test split shown in that chunk's style
 * (probe and bank in the same style), or, on data with real domains, on the test samples
 * of the chunk's domains; for the Dirichlet stream, on a seeded subsample of the test set in
 * the chunk's class proportions.
 */
import type { ImageSet, LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import type { EvaluationSpec } from '../../shared/scenario.js';
import { testSamplesWithMix, type StreamChunk, type StreamPlan } from '../../shared/stream/index.js';
import type { ChunkEval, EvalMetrics } from '../../shared/tasks.js';
import type { DatasetRows } from '../data/image-rows.js';
import { subset } from '../data/index.js';
import type { Normalization } from '../data/normalization.js';
import { styledSet } from '../data/styles.js';
import type { Params } from '../models/params.js';
import type { BackboneOptions } from '../models/resnet.js';
import { extractFeatures, type FeatureSet } from './features.js';
import { accuracy, knnPredict } from './knn.js';
import { linearProbePredict } from './linear-probe.js';

interface Predictions {
  knn: Uint8Array;
  linear: Uint8Array;
  labels: Uint8Array;
}

interface EvalContext {
  p: Params;
  o: BackboneOptions;
  norm: Normalization;
  spec: EvaluationSpec;
  seed: number;
  numClasses: number;
}

function predict(ctx: EvalContext, bankSet: ImageSet, testSet: ImageSet): Predictions {
  const bank: FeatureSet = extractFeatures(ctx.p, ctx.o, bankSet, ctx.norm);
  const test: FeatureSet = extractFeatures(ctx.p, ctx.o, testSet, ctx.norm);
  return {
    knn: knnPredict(bank, test, { k: ctx.spec.knn.k, temperature: ctx.spec.knn.temperature, numClasses: ctx.numClasses }),
    linear: linearProbePredict(bank, test, { ...ctx.spec.linear, numClasses: ctx.numClasses, seed: deriveSeed(ctx.seed, 'eval', 'probe') }),
    labels: test.labels,
  };
}

/** Which of the (original-style) test samples score `chunk`. */
function chunkTestFilter(ctx: EvalContext, chunk: StreamChunk, testSet: ImageSet): (label: number, index: number) => boolean {
  if (chunk.classCounts) {
    const chosen = new Set(testSamplesWithMix(testSet.labels, chunk.classCounts, deriveSeed(ctx.seed, 'eval', 'chunk-mix', chunk.id)));
    return (_, i) => chosen.has(i);
  }
  const domainOf = testSet.domainOf;
  if (chunk.domains && domainOf) {
    const domains = new Set(chunk.domains);
    return (_, i) => domains.has(domainOf[i]);
  }
  const classes = new Set(chunk.classes);
  return (label) => classes.has(label);
}

function perChunk(ctx: EvalContext, plan: StreamPlan, bankSet: ImageSet, testSet: ImageSet, overall: Predictions): ChunkEval[] {
  return plan.chunks.map((chunk) => {
    if (chunk.style !== 'original') {
      const own = predict(ctx, styledSet(bankSet, chunk.style), styledSet(testSet, chunk.style));
      return { chunk: chunk.id, knnTop1: accuracy(own.knn, own.labels), linearTop1: accuracy(own.linear, own.labels), samples: own.labels.length };
    }
    const keep = chunkTestFilter(ctx, chunk, testSet);
    return {
      chunk: chunk.id,
      knnTop1: accuracy(overall.knn, overall.labels, keep),
      linearTop1: accuracy(overall.linear, overall.labels, keep),
      samples: overall.labels.filter(keep).length,
    };
  });
}

/** The images an evaluation scores on: the bank (and probe) subset of the training split, the test subset. */
export interface EvaluationSets {
  bank: ImageSet;
  test: ImageSet;
}

/**
 * Gathers the seeded evaluation subsets of `data` (copies): with them, an evaluation
 * needs nothing else of the dataset, which can go before training starts.
 */
export function evaluationSets(data: Pick<DatasetRows, 'train' | 'test'>, spec: EvaluationSpec, seed: number): EvaluationSets {
  return {
    bank: subset(data.train, sampledIndices(data.train.count, spec.trainSamples, deriveSeed(seed, 'eval', 'bank'))),
    test: subset(data.test, sampledIndices(data.test.count, spec.testSamples, deriveSeed(seed, 'eval', 'test'))),
  };
}

/**
 * Scores the backbone in `p` on the subsets `evaluationSets` gathered; with `plan`, each
 * chunk too. `seconds`: the scoring (features, kNN, probe), timed here only: it is what
 * results.json, the stage-done events and the logs report as an evaluation's time.
 */
export function evaluateOnSets(p: Params, o: BackboneOptions, sets: EvaluationSets, norm: Normalization, spec: EvaluationSpec, seed: number, plan?: StreamPlan): EvalMetrics {
  const started = performance.now();
  const ctx: EvalContext = { p, o, norm, spec, seed, numClasses: sets.bank.numClasses };
  const overall = predict(ctx, sets.bank, sets.test);
  const chunks = plan ? perChunk(ctx, plan, sets.bank, sets.test, overall) : undefined;
  return {
    knnTop1: accuracy(overall.knn, overall.labels),
    linearTop1: accuracy(overall.linear, overall.labels),
    ...(chunks ? { perChunk: chunks } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Scores the backbone in `p` on `data`'s evaluation subsets; with `plan`, each chunk too.
 * Its `seconds` are `evaluateOnSets`'s, the scoring alone, as a task's evaluation reports
 * them (the engine gathers the subsets with the task's data, before training).
 */
export function evaluateBackbone(
  p: Params,
  o: BackboneOptions,
  data: LabeledDataset,
  norm: Normalization,
  spec: EvaluationSpec,
  seed: number,
  plan?: StreamPlan,
): EvalMetrics {
  return evaluateOnSets(p, o, evaluationSets(data, spec, seed), norm, spec, seed, plan);
}
