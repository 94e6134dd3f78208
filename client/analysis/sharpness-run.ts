/**
 * Sharpness of a run's minima: for every arm's final model, the rise of its own loss
 * under filter-normalized random perturbations and the loss along one random direction;
 * then the loss along the straight lines between consecutive relay stages and from each
 * relay arm's final model to the joint one. All on the same fixed batches: training
 * images of every chunk (in their styles), augmented as in training.
 */
import type { InterpolationCurve, ModelSharpness, SharpnessResults } from '../../shared/analysis.js';
import { stageModelName } from '../../shared/analysis.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import type { AnalysisSpec } from '../../shared/scenario.js';
import type { AnalysisOptions } from '../../shared/tasks.js';
import type { StreamPlan } from '../../shared/stream/index.js';
import { selectChunkSamples } from '../data/index.js';
import type { DatasetRows } from '../data/image-rows.js';
import type { Normalization } from '../data/normalization.js';
import type { SslMethod, TrainBatch } from '../ssl/method.js';
import { disposeLossBatches, fixedLossBatches } from './loss-batches.js';
import { directionCurve } from './loss-curves.js';
import type { RunModels } from './run-models.js';
import { perturbationSharpness } from './sharpness.js';
import { interpolationCurve } from './state-interpolation.js';

/** `count` evenly spaced values from `from` to `to`. */
export function linspace(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + ((to - from) * i) / (count - 1));
}

export async function sharpnessResults(
  models: RunModels,
  dataset: DatasetRows,
  plan: StreamPlan,
  norm: Normalization,
  scenario: Pick<AnalysisOptions, 'seed' | 'ssl' | 'batchSize'>,
  spec: AnalysisSpec['sharpness'],
): Promise<SharpnessResults> {
  const seed = deriveSeed(scenario.seed, 'analysis', 'sharpness');
  // The samples of the whole stream, read and styled alone (not the stream gathered first).
  const streamSamples = plan.chunks.reduce((n, c) => n + c.indices.length, 0);
  const images = selectChunkSamples(dataset, plan, plan.chunks.map((c) => c.id), sampledIndices(streamSamples, spec.samples, deriveSeed(seed, 'images')));
  const batchSize = Math.min(scenario.batchSize, images.count);
  const batches = await fixedLossBatches(images, norm, {
    augment: { size: images.height, ...scenario.ssl.augment },
    batchSize,
    batches: Math.max(1, Math.floor(images.count / batchSize)),
    seed,
  });
  try {
    const finals = models.arms.map((arm) => models.finalName(arm));
    const perModel: ModelSharpness[] = [];
    for (const name of finals) perModel.push(await withModel(models, name, (method) => modelSharpness(name, method, batches, spec, seed)));
    return { samples: batches.length * batchSize, draws: spec.draws, models: perModel, interpolations: await interpolations(models, batches, spec, seed) };
  } finally {
    disposeLossBatches(batches);
  }
}

function modelSharpness(model: string, method: SslMethod, batches: TrainBatch[], spec: AnalysisSpec['sharpness'], seed: number): ModelSharpness {
  const p = perturbationSharpness(method, batches, { radii: spec.radii, draws: spec.draws, seed });
  return {
    model,
    baseLoss: p.baseLoss,
    perturbation: p.radii.map(({ radius, mean, std, min, max }) => ({ radius, mean, std, min, max })),
    direction: directionCurve(method, batches, { alphas: linspace(-spec.extent, spec.extent, spec.curvePoints), seed }),
  };
}

/** Consecutive relay stages, and each relay arm's final model to the joint one. */
function linePairs(models: RunModels): Array<[string, string]> {
  const joint = models.jointName();
  const pairs: Array<[string, string]> = [];
  for (const arm of models.arms.filter((a) => a.sequential)) {
    const names = arm.stages.map((s) => stageModelName(arm.name, s.stage));
    for (let k = 1; k < names.length; k++) pairs.push([names[k - 1], names[k]]);
    if (joint) pairs.push([names[names.length - 1], joint]);
  }
  return pairs;
}

async function interpolations(models: RunModels, batches: TrainBatch[], spec: AnalysisSpec['sharpness'], seed: number): Promise<InterpolationCurve[]> {
  // Both models exactly (0 and 1 are points), and a little beyond either end, so a basin's walls show.
  const alphas = [-0.25, ...linspace(0, 1, spec.curvePoints), 1.25];
  const curves: InterpolationCurve[] = [];
  for (const [from, to] of linePairs(models)) {
    const [a, b] = [await models.state(from), await models.state(to)];
    if (!a || !b) throw new Error(`interpolation ${from} → ${to}: both ends must be trained models`);
    const points = interpolationCurve(a, b, (methodState) => models.restore({ ...a, methodState }), batches, { alphas, seed });
    curves.push({ from, to, points });
  }
  return curves;
}

async function withModel<R>(models: RunModels, name: string, use: (method: SslMethod) => R | Promise<R>): Promise<R> {
  const method = await models.open(name);
  try {
    return await use(method);
  } finally {
    method.dispose();
  }
}

