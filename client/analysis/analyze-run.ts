/**
 * The analyses of a finished run, on its saved checkpoints, without retraining: CKA
 * between stage models, sharpness of each arm's final minimum and the paths between
 * models, few-shot episodes and transfer to other datasets. Each analysis is optional
 * (`analysis.run`); each is seeded, so the same run and spec give the same numbers.
 */
import { RANDOM_INIT_MODEL, type AnalysisResults } from '../../shared/analysis.js';
import type { LabeledDataset } from '../../shared/dataset-types.js';
import type { AnalysisName, AnalysisSpec } from '../../shared/scenario.js';
import type { AnalysisOptions } from '../../shared/tasks.js';
import { loadDataset, openDataset, planStream } from '../data/index.js';
import { withConvolutions } from '../engine/convolutions.js';
import { computeNormalization } from '../data/normalization.js';
import { cachedNormalization } from '../data/normalization-cache.js';
import { datasetWithChannels } from './channels.js';
import { ckaResults } from './cka-run.js';
import { fewShotScores } from './few-shot-run.js';
import { RunModels, type RunArm, type StateReader } from './run-models.js';
import { sharpnessResults } from './sharpness-run.js';
import { transferScores, type TransferDataset } from './transfer-run.js';

export interface AnalyzeRunOptions {
  /** Reads a stage's saved model state (the caller knows where checkpoints are). */
  readState: StateReader;
  /** The run's seed, data, model, method and evaluation, and the analyses' settings. */
  options: AnalysisOptions;
  arms: readonly RunArm[];
  /** The backend the analyses run on, for the record. */
  backend: string;
  /** Progress lines (one per analysis). */
  log?: (message: string) => void;
}

export async function analyzeRun(o: AnalyzeRunOptions): Promise<AnalysisResults> {
  // The run's convolutions: its models compute here as they did in its tasks.
  return withConvolutions(o.options.model.convolutions, () => analyze(o));
}

async function analyze(o: AnalyzeRunOptions): Promise<AnalysisResults> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const scenario = o.options;
  const spec = scenario.analysis;
  // Pixels left on file where the dataset allows: the analyses gather subsets of it.
  const dataset = await openDataset(scenario.dataset);
  const norm = await cachedNormalization(dataset.train);
  const plan = planStream(dataset, scenario.stream, scenario.splitSeed ?? scenario.seed);
  const models = new RunModels(o.readState, scenario, o.arms, { channels: dataset.train.channels, numClasses: dataset.train.numClasses });
  const finals = o.arms.map((arm) => models.finalName(arm));
  const wants = new Set(spec.run);
  const results: AnalysisResults = { analyzedAt: new Date().toISOString(), seconds: 0, backend: o.backend, spec };

  // One analysis failing (a dataset missing, too few samples) must not cost the others.
  const attempt = async (name: AnalysisName, message: string, run: () => Promise<void>) => {
    if (!wants.has(name)) return;
    log(message);
    try {
      await run();
    } catch (err) {
      const reason = (err as Error).message ?? String(err);
      log(`${name} failed: ${reason}`);
      results.errors = { ...results.errors, [name]: reason };
    }
  };
  await attempt('cka', 'CKA between stage models', async () => {
    results.cka = await ckaResults(models, dataset, norm, spec, scenario.seed);
  });
  await attempt('sharpness', 'sharpness and loss curves', async () => {
    results.sharpness = await sharpnessResults(models, dataset, plan, norm, scenario, spec.sharpness);
  });
  let transfer: TransferDataset[] = [];
  if (wants.has('transfer') || wants.has('few-shot')) {
    try {
      transfer = await loadTransferDatasets(spec, dataset.train.channels);
    } catch (err) {
      const reason = (err as Error).message;
      log(`transfer datasets: ${reason}`);
      results.errors = { ...results.errors, transfer: reason };
    }
  }
  const scored = [RANDOM_INIT_MODEL, ...finals];
  await attempt('few-shot', 'few-shot episodes', async () => {
    const sets = [{ name: 'test', data: dataset, norm }, ...transfer.map((t) => ({ ...t, norm: computeNormalization(t.data.train) }))];
    results.fewShot = await fewShotScores(models, scored, sets, spec.fewShot, scenario);
  });
  if (transfer.length > 0) {
    await attempt('transfer', `transfer to ${transfer.map((t) => t.name).join(', ')}`, async () => {
      results.transfer = await transferScores(models, scored, transfer, scenario);
    });
  }
  results.seconds = (performance.now() - started) / 1000;
  return results;
}

async function loadTransferDatasets(spec: AnalysisSpec, channels: number): Promise<TransferDataset[]> {
  const out: TransferDataset[] = [];
  for (const [i, t] of spec.transfer.entries()) {
    let data: LabeledDataset;
    try {
      data = await loadDataset(t.dataset);
    } catch (err) {
      throw new Error(`analysis.transfer[${i}] (${t.name}): ${(err as Error).message}`);
    }
    out.push({ name: t.name, data: datasetWithChannels(data, channels) });
  }
  return out;
}
