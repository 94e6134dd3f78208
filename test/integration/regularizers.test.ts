/**
 * A two-stage relay with each regularizer (MAS, EWC) through the training engine: the
 * importances and anchors travel in the state, accumulate over chunks, and the penalty
 * holds weights back.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import type { TrainTask } from '../../shared/tasks.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { stageTask } from '../support/train-task.js';

const scenario = tinyRelayScenario({ name: 'mas', seed: 5, dataset: { name: 'synthetic', perClass: 16, imageSize: 12 }, ssl: { queueSize: 64 } });

function task(name: 'mas' | 'ewc', stage: number, lambda: number): TrainTask {
  return stageTask(scenario, stage, {
    steps: 4,
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 0, schedule: 'constant', totalSteps: 8, startStep: stage * 4, keepOptimizerState: true },
    replay: { mode: 'none' },
    regularizer: { name, lambda, samples: 64 },
  });
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

describe.each([
  ['mas', 'importance'],
  ['ewc', 'fisher'],
] as const)('%s across a relay', (name, key) => {
  it('carries importances and anchors, accumulates them, and pulls weights toward the anchor', async () => {
    const engine = await createEngine({ backend: 'wasm' });
    const first = await engine.train(task(name, 0, 1), null, null, () => {});
    const afterFirst = decodeState(first.state);
    const importance = afterFirst.regularizer![key];
    expect(Object.values(importance).every((e) => e.values.every((v) => v >= 0))).toBe(true);
    const anchor = afterFirst.regularizer!.anchor;
    expect(Object.keys(anchor).sort()).toEqual(Object.keys(importance).sort());
    expect(anchor['backbone.stem.w'].values).toEqual(afterFirst.methodState.online['backbone.stem.w'].values);

    const maxImportance = Math.max(...Object.values(importance).map((e) => Math.max(...e.values)));
    // Strong but stable: lr * lambda * importance stays below 1 for every weight.
    const strong = decodeState((await engine.train(task(name, 1, 0.5 / (0.05 * maxImportance)), first.state, null, () => {})).state);
    const none = decodeState((await engine.train(task(name, 1, 0), first.state, null, () => {})).state);
    const weight = 'backbone.s0.b0.conv1.w';
    expect(distance(strong.methodState.online[weight].values, anchor[weight].values)).toBeLessThan(distance(none.methodState.online[weight].values, anchor[weight].values));

    const stemBefore = importance['backbone.stem.w'].values;
    const stemAfter = strong.regularizer![key]['backbone.stem.w'].values;
    expect(stemAfter.every((v, i) => v >= stemBefore[i])).toBe(true);
    expect(stemAfter.some((v, i) => v > stemBefore[i])).toBe(true);
  });
});
