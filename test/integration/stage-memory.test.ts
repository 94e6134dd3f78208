/**
 * A client trains stage after stage in one process: whatever a stage allocates (the
 * method, its optimizer's restored buffers, a regularizer's importances, replay) must be
 * gone when its task is over, or a long-lived client grows by it at every stage. Each
 * method, and MoCo with each regularizer, runs four stages carrying its whole state
 * (optimizer included) and replay, each scored as an evaluation task scores it; after each
 * stage and each evaluation, the tensors and their bytes must be what they were before
 * the first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type TrainingEngine } from '../../client/engine/index.js';
import { REGULARIZER_NAMES, type RegularizerName } from '../../shared/continual-names.js';
import { SSL_METHOD_NAMES } from '../../shared/ssl-options/index.js';
import { evalTaskFor } from '../../server/schedule/eval-task.js';

import { tinyRelayScenario } from '../support/scenario.js';
import { stageTask } from '../support/train-task.js';

let engine: TrainingEngine;
beforeAll(async () => {
  engine = await createEngine({ backend: 'wasm', threads: 1 });
});

const STAGES = 4;
const cases: [string, RegularizerName | null][] = [...SSL_METHOD_NAMES.map((m) => [m, null] as [string, null]), ...REGULARIZER_NAMES.map((r) => ['moco-v2', r] as [string, RegularizerName])];

describe.each(cases)('%s, regularizer %s', (method, regularizer) => {
  it('leaves no tensor behind after any stage or evaluation', async () => {
    const scenario = tinyRelayScenario({ seed: 4, ssl: { method, ...(method === 'moco-v2' ? { queueSize: 32 } : {}) } });
    let state: Uint8Array | null = null;
    let replay: Uint8Array | null = null;
    const before = tf.memory();
    const left: string[] = [];
    for (let stage = 0; stage < STAGES; stage++) {
      const task = stageTask(scenario, stage, {
        steps: 2,
        optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', totalSteps: 2 * STAGES, startStep: 2 * stage, keepOptimizerState: true },
        replay: { mode: 'replay', fraction: 0.25, ratio: 0.25 },
        ...(regularizer ? { regularizer: { name: regularizer, lambda: 0.1, samples: 16 } } : {}),
      });
      const out = await engine.train({ ...task, data: { ...task.data, chunks: [stage % 2] } }, state, replay, () => {});
      state = out.state;
      replay = out.replay;
      const trained = tf.memory();
      left.push(`${trained.numTensors} tensors, ${trained.numBytes} bytes`);
      await engine.evaluate(evalTaskFor(scenario, `eval:${stage}`), state);
      const scored = tf.memory();
      left.push(`${scored.numTensors} tensors, ${scored.numBytes} bytes`);
    }
    expect(left).toEqual(Array.from({ length: 2 * STAGES }, () => `${before.numTensors} tensors, ${before.numBytes} bytes`));
  });
});
