/**
 * CKA among a run's models: for every relay arm, its stage models and the joint model,
 * compared pairwise on one fixed set of test images, at every backbone stage. The matrix
 * holds each stage against the previous one (just below the diagonal), against the first
 * (first column) and against joint (last column).
 */
import type { ArmCka, CkaResults } from '../../shared/analysis.js';
import { stageModelName } from '../../shared/analysis.js';
import type { LabeledDataset } from '../../shared/dataset-types.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import type { AnalysisSpec } from '../../shared/scenario.js';
import { subset } from '../data/index.js';
import type { Normalization } from '../engine/batches.js';
import { extractStageFeatures, type FeatureSet } from '../eval/features.js';
import { linearCka, rbfCka } from './cka.js';
import type { RunModels } from './run-models.js';

export async function ckaResults(models: RunModels, dataset: LabeledDataset, norm: Normalization, spec: AnalysisSpec, seed: number): Promise<CkaResults> {
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
  for (const arm of models.arms.filter((a) => a.mode === 'relay')) {
    const names = [...arm.stages.map((s) => stageModelName(arm.name, s.stage)), ...(joint ? [joint] : [])];
    const all = await Promise.all(names.map(featuresOf));
    const matrix = (layer: number, cka: (x: FeatureSet, y: FeatureSet) => number) =>
      names.map((_, i) => names.map((_, j) => (j < i ? Number.NaN : cka(all[i][layer], all[j][layer]))));
    const symmetric = (m: number[][]) => m.map((r, i) => r.map((v, j) => (j < i ? m[j][i] : v)));
    arms.push({
      arm: arm.name,
      models: names,
      layers,
      linear: layers.map((_, l) => symmetric(matrix(l, (x, y) => linearCka(x, y)))),
      rbf: layers.map((_, l) => symmetric(matrix(l, (x, y) => rbfCka(x, y, { bandwidth: spec.rbfBandwidth })))),
    });
  }
  return { probeSamples: probe.count, rbfBandwidth: spec.rbfBandwidth, arms };
}
