/**
 * CKA among a run's models: for every relay arm, its stage models and the joint model,
 * compared pairwise on one fixed set of test images, at every backbone stage. The matrix
 * holds each stage against the previous one (just below the diagonal), against the first
 * (first column) and against joint (last column).
 */
import type { ArmCka, CkaResults } from '../../shared/analysis.js';
import { stageModelName } from '../../shared/analysis.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import type { AnalysisSpec } from '../../shared/scenario.js';
import type { DatasetRows } from '../data/image-rows.js';
import { subset } from '../data/index.js';
import type { Normalization } from '../data/normalization.js';
import { extractStageFeatures, type FeatureSet } from '../eval/features.js';
import { centeredRbfKernel, kernelCka, linearCka } from './cka.js';
import type { RunModels } from './run-models.js';

export async function ckaResults(models: RunModels, dataset: Pick<DatasetRows, 'test'>, norm: Normalization, spec: AnalysisSpec, seed: number): Promise<CkaResults> {
  const probe = subset(dataset.test, sampledIndices(dataset.test.count, spec.probeSamples, deriveSeed(seed, 'analysis', 'cka-probe')));
  const features = new Map<string, FeatureSet[]>();
  const featuresOf = async (name: string): Promise<FeatureSet[]> => {
    let f = features.get(name);
    if (!f) {
      const method = await models.open(name);
      try {
        f = extractStageFeatures(method.online, models.encoder.backbone, probe, norm);
      } finally {
        method.dispose();
      }
      features.set(name, f);
    }
    return f;
  };
  const joint = models.jointName();
  const layers = models.encoder.backbone.widths.map((_, i) => `stage ${i + 1}`);
  const arms: ArmCka[] = [];
  for (const arm of models.arms.filter((a) => a.sequential)) {
    const names = [...arm.stages.map((s) => stageModelName(arm.name, s.stage)), ...(joint ? [joint] : [])];
    const all = await Promise.all(names.map(featuresOf));
    arms.push({
      arm: arm.name,
      models: names,
      layers,
      linear: layers.map((_, l) => pairwise(all.map((f) => f[l]), linearCka)),
      // Each model's kernel once per layer (count x count), shared by all its pairs.
      rbf: layers.map((_, l) => pairwise(all.map((f) => centeredRbfKernel(f[l], { bandwidth: spec.rbfBandwidth })), kernelCka)),
    });
  }
  return { probeSamples: probe.count, rbfBandwidth: spec.rbfBandwidth, arms };
}

/** The symmetric matrix of `similarity` over every pair of `items`, each pair computed once. */
function pairwise<T>(items: readonly T[], similarity: (a: T, b: T) => number): number[][] {
  const m = items.map(() => new Array<number>(items.length).fill(0));
  items.forEach((a, i) => {
    for (let j = i; j < items.length; j++) m[i][j] = m[j][i] = similarity(a, items[j]);
  });
  return m;
}
