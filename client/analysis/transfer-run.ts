/**
 * Transfer: each final model (and the random-init floor) scored on other labeled
 * datasets with the scenario's kNN and linear-probe evaluation, its images adapted to the
 * model's input channels and standardized with that dataset's own statistics.
 */
import type { TransferScore } from '../../shared/analysis.js';
import type { LabeledDataset } from '../../shared/dataset-types.js';
import type { AnalysisOptions } from '../../shared/tasks.js';
import { computeNormalization } from '../data/normalization.js';
import { evaluateBackbone } from '../eval/evaluate.js';
import type { RunModels } from './run-models.js';

export interface TransferDataset {
  name: string;
  data: LabeledDataset;
}

export async function transferScores(models: RunModels, names: readonly string[], datasets: readonly TransferDataset[], scenario: Pick<AnalysisOptions, 'seed' | 'evaluation'>): Promise<TransferScore[]> {
  const scores: TransferScore[] = [];
  for (const { name: dataset, data } of datasets) {
    const norm = computeNormalization(data.train);
    for (const model of names) {
      const method = await models.open(model);
      try {
        const m = evaluateBackbone(method.online, models.encoder.backbone, data, norm, scenario.evaluation, scenario.seed);
        scores.push({ dataset, model, knnTop1: m.knnTop1, linearTop1: m.linearTop1 });
      } finally {
        method.dispose();
      }
    }
  }
  return scores;
}
