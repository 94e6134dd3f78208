/**
 * Few-shot evaluation of frozen features: N-way K-shot episodes (N classes drawn at
 * random, K labeled support samples and Q query samples of each), a classifier fitted on
 * the support set and scored on the queries, as in Vinyals et al. 2016, "Matching
 * Networks for One Shot Learning", https://arxiv.org/abs/1606.04080. It measures how
 * quickly a representation adapts to classes from a handful of examples, which a linear
 * probe on thousands of samples does not show.
 *
 * Accuracies are in percent; the 95% confidence interval is the usual 1.96 x std /
 * sqrt(episodes) of the few-shot literature, with the sample standard deviation. The same
 * seed draws the same episodes, and the first episodes do not depend on how many follow.
 */
import { Random } from '../../shared/random.js';
import type { FeatureSet } from '../eval/features.js';
import { accuracy } from '../eval/knn.js';
import { DEFAULT_LOGISTIC_REGRESSION, logisticRegression, predict, prototypeClassifier, type LabeledRows, type LinearClassifier, type LogisticRegressionOptions } from './episode-classifiers.js';

export type FewShotClassifier = 'prototype' | 'linear';

export interface FewShotOptions {
  /** Classes per episode (N). */
  ways: number;
  /** Labeled support samples per class (K). */
  shots: number;
  /** Query samples per class (default 15). */
  queries?: number;
  /** Default 600. */
  episodes?: number;
  /** 'prototype' (nearest class mean, cosine; the default) or 'linear' (logistic regression). */
  classifier?: FewShotClassifier;
  /** For the 'linear' classifier; defaults to DEFAULT_LOGISTIC_REGRESSION. */
  logisticRegression?: Partial<LogisticRegressionOptions>;
  seed: number;
}

export interface FewShotResult {
  ways: number;
  shots: number;
  queries: number;
  episodes: number;
  classifier: FewShotClassifier;
  /** Mean query accuracy over the episodes, in percent. */
  mean: number;
  /** Half-width of the 95% confidence interval of the mean, in percent. */
  ci95: number;
  /** Standard deviation of the episodes' accuracies, in percent. */
  std: number;
}

export const FEW_SHOT_DEFAULTS = { queries: 15, episodes: 600, classifier: 'prototype' as FewShotClassifier };

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`few-shot: ${name} must be an integer >= ${min}, got ${value}`);
}

/** The features' rows scaled to unit length, in Float64 (a zero row stays zero). */
function unitRows(features: FeatureSet): Float64Array {
  const { values, count, dim } = features;
  const rows = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    let squared = 0;
    for (let d = 0; d < dim; d++) squared += values[i * dim + d] * values[i * dim + d];
    const scale = squared > 0 ? 1 / Math.sqrt(squared) : 0;
    for (let d = 0; d < dim; d++) rows[i * dim + d] = values[i * dim + d] * scale;
  }
  return rows;
}

/** The sample indices of each label present, by label, ascending. */
function indicesByClass(features: FeatureSet): Map<number, Uint32Array> {
  const lists = new Map<number, number[]>();
  for (let i = 0; i < features.count; i++) {
    const label = features.labels[i];
    const list = lists.get(label) ?? [];
    list.push(i);
    lists.set(label, list);
  }
  return new Map([...lists].sort(([a], [b]) => a - b).map(([label, list]) => [label, Uint32Array.from(list)]));
}

/** Room for an episode's support or query rows. */
function emptyRows(count: number, dim: number): LabeledRows {
  return { rows: new Float64Array(count * dim), labels: new Uint8Array(count), count, dim };
}

/** Puts unit row `index` at place `at` of `to`, labeled by its class's place in the episode (0..ways-1). */
function copyRow(from: Float64Array, index: number, to: LabeledRows, at: number, label: number): void {
  to.rows.set(from.subarray(index * to.dim, (index + 1) * to.dim), at * to.dim);
  to.labels[at] = label;
}

/** Mean accuracy and its 95% confidence interval over N-way K-shot episodes drawn from `features`. */
export function evaluateFewShot(features: FeatureSet, options: FewShotOptions): FewShotResult {
  const { ways, shots, seed } = options;
  const queries = options.queries ?? FEW_SHOT_DEFAULTS.queries;
  const episodes = options.episodes ?? FEW_SHOT_DEFAULTS.episodes;
  const classifier = options.classifier ?? FEW_SHOT_DEFAULTS.classifier;
  checkCount('ways', ways, 2);
  checkCount('shots', shots, 1);
  checkCount('queries', queries, 1);
  checkCount('episodes', episodes, 1);
  if (classifier !== 'prototype' && classifier !== 'linear') throw new Error(`few-shot: classifier must be 'prototype' or 'linear', got '${classifier}'`);
  const byClass = indicesByClass(features);
  const name = `few-shot ${ways}-way ${shots}-shot with ${queries} queries`;
  if (byClass.size < ways) throw new Error(`${name}: the features hold ${byClass.size} classes, fewer than ${ways}`);
  for (const [label, indices] of byClass) {
    if (indices.length < shots + queries) {
      throw new Error(`${name}: class ${label} has ${indices.length} samples, fewer than shots + queries = ${shots + queries}`);
    }
  }
  const fit = (support: LabeledRows): LinearClassifier =>
    classifier === 'linear' ? logisticRegression(support, ways, { ...DEFAULT_LOGISTIC_REGRESSION, ...options.logisticRegression }) : prototypeClassifier(support, ways);

  const unit = unitRows(features);
  const classes = [...byClass.keys()];
  const rng = new Random(seed);
  const accuracies = new Float64Array(episodes);
  for (let e = 0; e < episodes; e++) {
    const support = emptyRows(ways * shots, features.dim);
    const query = emptyRows(ways * queries, features.dim);
    // Shuffling the persistent lists in place each time still draws uniformly.
    rng.shuffle(classes);
    for (let c = 0; c < ways; c++) {
      const indices = rng.shuffle(byClass.get(classes[c])!);
      for (let s = 0; s < shots; s++) copyRow(unit, indices[s], support, c * shots + s, c);
      for (let q = 0; q < queries; q++) copyRow(unit, indices[shots + q], query, c * queries + q, c);
    }
    accuracies[e] = 100 * accuracy(predict(fit(support), query.rows, query.count), query.labels);
  }

  const mean = accuracies.reduce((total, a) => total + a, 0) / episodes;
  const std = episodes > 1 ? Math.sqrt(accuracies.reduce((total, a) => total + (a - mean) ** 2, 0) / (episodes - 1)) : 0;
  return { ways, shots, queries, episodes, classifier, mean, ci95: (1.96 * std) / Math.sqrt(episodes), std };
}
