/**
 * A client refuses a state that does not fit its model (shapes, non-finite weights or
 * momentum buffers) before training, and a stage whose loss turns NaN fails naming arm,
 * stage and step: the error is what the coordinator reports for the stage.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type TrainingEngine } from '../../../client/engine/index.js';
import { decodeState, encodeState, type ModelState } from '../../../shared/state/model-state.js';
import type { TrainTask } from '../../../shared/tasks.js';
import { tinyRelayScenario } from '../../support/scenario.js';
import { stageTask } from '../../support/train-task.js';

const scenario = tinyRelayScenario();

function task(stage: number, part: Partial<TrainTask> = {}, lr = 0.05): TrainTask {
  return stageTask(scenario, stage, {
    steps: 2,
    optimizer: { lr, momentum: 0.9, weightDecay: 1e-4, schedule: 'constant', totalSteps: 4, startStep: 2 * stage, keepOptimizerState: true },
    replay: { mode: 'none' },
    ...part,
  });
}

/** The first array of a part of the state, by name. */
function firstArray(arrays: Record<string, { shape: number[]; values: Float32Array }>): [string, { shape: number[]; values: Float32Array }] {
  return Object.entries(arrays)[0];
}

describe('a client checks the state it is handed against its model', () => {
  let engine: TrainingEngine;
  let good: ModelState;
  beforeAll(async () => {
    engine = await createEngine({ backend: 'wasm' });
    good = decodeState((await engine.train(task(0), null, null, () => {})).state);
  });

  it('refuses a state of another model, naming the parameter and both shapes', async () => {
    const wider = task(1, { model: { ...scenario.model, widths: [4, 16] } });
    await expect(engine.train(wider, encodeState(good), null, () => {})).rejects.toThrow(
      /^MoCo online encoder: parameter "[^"]+" has shape \[[\d,]+\] but the model expects \[[\d,]+\]$/,
    );
  });

  it('refuses weights with NaN or infinity, naming the array and the index', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const state = decodeState(encodeState(good));
      const [name, array] = firstArray(state.methodState.online);
      array.values[3] = bad;
      await expect(engine.train(task(1), encodeState(state), null, () => {})).rejects.toThrow(
        `MoCo online encoder: parameter "${name}" holds a non-finite value (${bad}) at index 3`,
      );
    }
  });

  it('refuses momentum buffers of another shape or with NaN', async () => {
    const reshaped = decodeState(encodeState(good));
    const [name, array] = firstArray(reshaped.optimizer!);
    reshaped.optimizer![name] = { shape: [array.values.length + 1], values: new Float32Array(array.values.length + 1) };
    await expect(engine.train(task(1), encodeState(reshaped), null, () => {})).rejects.toThrow(
      `optimizer state: momentum buffer "${name}" has shape [${array.values.length + 1}] but the model expects [${array.shape}]`,
    );
    const poisoned = decodeState(encodeState(good));
    firstArray(poisoned.optimizer!)[1].values[0] = Number.NaN;
    await expect(engine.train(task(1), encodeState(poisoned), null, () => {})).rejects.toThrow(/momentum buffer "[^"]+" holds a non-finite value \(NaN\) at index 0/);
  });

  it('fails a stage whose loss becomes NaN, naming the step', async () => {
    const diverging = task(1, {}, 1e30);
    await expect(engine.train(diverging, encodeState(good), null, () => {})).rejects.toThrow(
      /^step [12]: training diverged: (loss is|gradients are not finite)/,
    );
  });
});
