/**
 * CaSSLe-style distillation across a relay: the frozen previous backbone travels, the
 * predictor trains inside the method's step (and travels mid-stage) without leaking into
 * the method's own state, and the penalty changes the update.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import type { TrainTask } from '../../shared/tasks.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { stageTask } from '../support/train-task.js';

const s = tinyRelayScenario({ name: 'distill', seed: 6, dataset: { name: 'synthetic', perClass: 16, imageSize: 12 }, ssl: { queueSize: 64 } });

function task(stage: number, lambda: number): TrainTask {
  return stageTask(s, stage, {
    steps: 6,
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 0, schedule: 'constant', totalSteps: 12, startStep: stage * 6, keepOptimizerState: true },
    replay: { mode: 'none' },
    regularizer: { name: 'distill', lambda, samples: 1 },
  });
}


describe('distillation across a relay', () => {
  it('hands on the frozen model and trains a predictor toward it', async () => {
    const engine = await createEngine({ backend: 'wasm' });
    const first = decodeState((await engine.train(task(0, 1), null, null, () => {})).state);
    const frozen = first.regularizer!.frozen;
    expect(frozen['backbone.stem.w'].values).toEqual(first.methodState.online['backbone.stem.w'].values);
    expect(Object.keys(frozen).every((n) => n.startsWith('backbone.'))).toBe(true);
    expect(first.regularizer!.predictor).toBeUndefined();

    const firstBytes = (await engine.train(task(0, 1), null, null, () => {})).state;
    const strong = decodeState((await engine.train(task(1, 1), firstBytes, null, () => {})).state);
    const none = decodeState((await engine.train(task(1, 0), firstBytes, null, () => {})).state);
    expect(Object.keys(strong.methodState.online).some((n) => n.startsWith('distill.'))).toBe(false);
    expect(Object.keys(strong.optimizer!).some((n) => n.startsWith('distill.'))).toBe(true);
    const w = 'backbone.s0.b0.conv1.w';
    expect(strong.methodState.online[w].values).not.toEqual(none.methodState.online[w].values);

    // Mid-stage, the predictor trained so far travels with the frozen model.
    const half = decodeState((await engine.train({ ...task(1, 1), steps: 3, endsStage: false }, firstBytes, null, () => {})).state);
    const predictor = half.regularizer!.predictor;
    expect(Object.keys(predictor).sort()).toEqual(['distill.fc1.b', 'distill.fc1.w', 'distill.fc2.b', 'distill.fc2.w']);
    expect(predictor['distill.fc1.b'].values.some((v) => v !== 0)).toBe(true);
    expect(half.regularizer!.frozen[w].values).toEqual(frozen[w].values);
    // After stage 1 the model it ended with is the one to distill from next.
    expect(strong.regularizer!.frozen['backbone.stem.w'].values).toEqual(strong.methodState.online['backbone.stem.w'].values);
  });
});
