/**
 * Few-shot episodes on frozen features: every scored model, on the scenario's test split
 * and on each transfer dataset's, for each shot count of the spec.
 */
import type { FewShotScore } from '../../shared/analysis.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import type { AnalysisSpec } from '../../shared/scenario.js';
import type { AnalysisOptions } from '../../shared/tasks.js';
import type { DatasetRows } from '../data/image-rows.js';
import { subset } from '../data/index.js';
import type { Normalization } from '../data/normalization.js';
import { extractFeatures, type FeatureSet } from '../eval/features.js';
import { evaluateFewShot } from './few-shot.js';
import type { RunModels } from './run-models.js';

export interface FewShotDataset {
  name: string;
  /** Its test split is what episodes draw from. */
  data: Pick<DatasetRows, 'test'>;
  norm: Normalization;
}

export async function fewShotScores(models: RunModels, names: readonly string[], datasets: readonly FewShotDataset[], spec: AnalysisSpec['fewShot'], scenario: Pick<AnalysisOptions, 'seed' | 'evaluation'>): Promise<FewShotScore[]> {
  const scores: FewShotScore[] = [];
  for (const { name: dataset, data, norm } of datasets) {
    // The scenario's test subset size bounds feature extraction; episodes draw from it.
    const images = subset(data.test, sampledIndices(data.test.count, scenario.evaluation.testSamples, deriveSeed(scenario.seed, 'analysis', 'few-shot', dataset)));
    for (const model of names) {
      const method = await models.open(model);
      let features;
      try {
        features = extractFeatures(method.online, models.encoder.backbone, images, norm);
      } finally {
        method.dispose();
      }
      for (const shots of spec.shots) {
        let r;
        try {
          r = evaluateFewShot(classesWithAtLeast(features, shots + spec.queries), { ways: spec.ways, shots, queries: spec.queries, episodes: spec.episodes, classifier: spec.classifier, seed: deriveSeed(scenario.seed, 'few-shot', dataset, shots) });
        } catch (err) {
          throw new Error(`few-shot on ${dataset} (${spec.ways}-way ${shots}-shot): ${(err as Error).message}`);
        }
        scores.push({ dataset, model, ways: r.ways, shots: r.shots, queries: r.queries, episodes: r.episodes, classifier: r.classifier, mean: r.mean, ci95: r.ci95 });
      }
    }
  }
  return scores;
}

/** The rows of the classes with at least `n` samples: a rare class cannot fill an episode. */
export function classesWithAtLeast(f: FeatureSet, n: number): FeatureSet {
  const counts = new Map<number, number>();
  for (const l of f.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const keep: number[] = [];
  f.labels.forEach((l, i) => {
    if (counts.get(l)! >= n) keep.push(i);
  });
  if (keep.length === f.count) return f;
  const values = new Float32Array(keep.length * f.dim);
  keep.forEach((i, k) => values.set(f.values.subarray(i * f.dim, (i + 1) * f.dim), k * f.dim));
  return { values, labels: Uint8Array.from(keep, (i) => f.labels[i]), count: keep.length, dim: f.dim };
}
