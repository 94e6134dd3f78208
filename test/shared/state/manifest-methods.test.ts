/**
 * The manifest (shared/state/manifest.ts) is what the real methods export: every SSL
 * method with every regularizer (and none), optimizer state kept, on a tiny model with
 * the cpu backend, over two stages (the second carries what the first learnt: anchors, a
 * frozen model, the distillation predictor's momentum). The coordinator's check passes
 * each state, and each state's size is within the manifest's size bounds (exactly its
 * size, where the manifest allows one variant): the two can never drift apart.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type TrainingEngine } from '../../../client/engine/index.js';
import { REGULARIZER_NAMES, type RegularizerName } from '../../../shared/continual-names.js';
import { datasetGeometry } from '../../../shared/dataset-geometry.js';
import { SSL_METHOD_NAMES, type SslMethodName } from '../../../shared/scenario.js';
import { decode } from '../../../shared/codec.js';
import { stateManifest } from '../../../shared/state/manifest.js';
import { manifestProblem } from '../../../shared/state/manifest-check.js';
import { stateGeometry } from '../../../shared/state/manifest-geometry.js';
import { stateSizeBounds } from '../../../shared/state/state-size.js';
import type { TrainTask } from '../../../shared/tasks.js';
import { inspectReturnedReplay, inspectReturnedState } from '../../../server/states/state-check.js';
import { tinyScenario } from '../../support/scenario.js';
import { stageTask } from '../../support/train-task.js';

const MODEL = { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 };

function task(method: SslMethodName, regularizer: RegularizerName | null, stage: number): TrainTask {
  const scenario = tinyScenario({
    dataset: { name: 'synthetic', perClass: 8, imageSize: 8 },
    stream: { type: 'random-class', chunks: 2 },
    model: MODEL,
    ssl: { method, queueSize: 16, predictorHidden: 8 },
    arms: [{ name: 'relay', mode: 'relay' }],
  });
  return stageTask(scenario, stage, {
    steps: 2,
    batchSize: 8,
    optimizer: { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, schedule: 'constant', totalSteps: 4, startStep: 2 * stage, keepOptimizerState: true },
    replay: { mode: 'replay', size: 4, ratio: 0.25 },
    ...(regularizer ? { regularizer: { name: regularizer, lambda: 1, samples: 8 } } : {}),
  });
}

describe('the state manifest is what every method exports', () => {
  let engine: TrainingEngine;
  beforeAll(async () => {
    engine = await createEngine({ backend: 'cpu' });
  });

  const cases = SSL_METHOD_NAMES.flatMap((method) => [null, ...REGULARIZER_NAMES].map((regularizer) => [method, regularizer ?? 'none'] as const));
  it.each(cases)('%s with regularizer %s', async (method, name) => {
    const regularizer = name === 'none' ? null : name;
    let state: Uint8Array | null = null;
    let replay: Uint8Array | null = null;
    for (const stage of [0, 1]) {
      const t = task(method, regularizer, stage);
      const out = await engine.train(t, state, replay, () => {});
      const decoded = decode(out.state);
      const manifest = stateManifest(t, stateGeometry(datasetGeometry(t.data.dataset), decoded));
      expect(manifestProblem(decoded, manifest)).toBeNull();
      const { min, max } = stateSizeBounds(manifest);
      expect(out.state.byteLength).toBeGreaterThanOrEqual(min);
      expect(out.state.byteLength).toBeLessThanOrEqual(max);
      if (manifest.optimizer!.variants.length === 1 && (manifest.regularizer?.variants.length ?? 1) === 1) expect(min).toBe(max);
      expect(inspectReturnedState(out.state, t)).toBeNull();
      expect(inspectReturnedReplay(out.replay!, t)).toBeNull();
      state = out.state;
      replay = out.replay;
    }
  }, 120_000);

  it.each(REGULARIZER_NAMES)('a task that does not end its stage, with regularizer %s, returns what the manifest allows mid-stage', async (regularizer) => {
    const first = await engine.train(task('simclr', regularizer, 0), null, null, () => {});
    const head: TrainTask = { ...task('simclr', regularizer, 1), steps: 1, endsStage: false };
    const out = await engine.train(head, first.state, first.replay, () => {});
    expect(inspectReturnedState(out.state, head)).toBeNull();
    const manifest = stateManifest(head, { channels: 1, numClasses: 10 });
    expect(manifest.regularizer!.variants).toHaveLength(2);
  }, 120_000);
});
