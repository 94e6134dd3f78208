/**
 * The state that travels is enough to continue: a stage trained in two halves, with a
 * hand-off between them, ends where the same stage trained in one go ends (same seed),
 * for every method, with replay and each regularizer (MAS, EWC, distillation) carried along.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type TrainingEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import { decodeReplay } from '../../shared/state/replay-buffer.js';
import { parseScenario, SSL_METHOD_NAMES, type SslSpec } from '../../shared/scenario.js';
import type { TrainTask } from '../../shared/tasks.js';
import { stageTask } from '../support/train-task.js';

function scenario(method: SslSpec['method']) {
  return parseScenario({
    name: 'resume',
    seed: 9,
    dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
    stream: { type: 'random-class', chunks: 2 },
    model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
    ssl: { method, queueSize: 32, predictorHidden: 8, bnGroups: 2 },
    training: { batchSize: 16 },
    arms: [{ name: 'relay', mode: 'relay' }],
  });
}

type RegularizerName = 'mas' | 'ewc' | 'distill';

function task(method: SslSpec['method'], regularizer: RegularizerName, stage: number, startStep: number, steps: number, part: Partial<TrainTask> = {}): TrainTask {
  return stageTask(scenario(method), stage, {
    steps,
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: 'cosine', totalSteps: 10, startStep, keepOptimizerState: true },
    replay: { mode: 'replay', size: 8, ratio: 0.25 },
    regularizer: { name: regularizer, lambda: 1, samples: 32 },
    ...part,
  });
}

function expectSameArrays(a: Record<string, { values: Float32Array }>, b: Record<string, { values: Float32Array }>, what: string): void {
  expect(Object.keys(a).sort(), what).toEqual(Object.keys(b).sort());
  for (const name of Object.keys(a)) {
    const x = a[name].values;
    const y = b[name].values;
    const scale = Math.max(1e-6, ...Array.from(y, Math.abs));
    const diff = Math.max(...Array.from(x, (v, i) => Math.abs(v - y[i])));
    expect(diff / scale, `${what}.${name}`).toBeLessThan(1e-5);
  }
}

describe.each(['mas', 'ewc', 'distill'] as const)('a stage trained in two halves equals one stage (with %s)', (regularizer) => {
  let engine: TrainingEngine;
  beforeAll(async () => {
    engine = await createEngine({ backend: 'wasm' });
  });

  it.each(SSL_METHOD_NAMES)('%s', async (method) => {
    const first = await engine.train(task(method, regularizer, 0, 0, 4), null, null, () => {});
    const whole = await engine.train(task(method, regularizer, 1, 4, 6), first.state, first.replay, () => {});
    const head = await engine.train(task(method, regularizer, 1, 4, 3, { endsStage: false }), first.state, first.replay, () => {});
    const tail = await engine.train(task(method, regularizer, 1, 7, 3, { firstStep: 3 }), head.state, head.replay, () => {});

    const a = decodeState(tail.state);
    const b = decodeState(whole.state);
    expect(a.step).toBe(b.step);
    for (const part of Object.keys(b.methodState)) expectSameArrays(a.methodState[part], b.methodState[part], part);
    expectSameArrays(a.optimizer!, b.optimizer!, 'optimizer');
    for (const part of Object.keys(b.regularizer!)) expectSameArrays(a.regularizer![part], b.regularizer![part], `regularizer.${part}`);
    expect(tail.metrics.lossLast).toBeCloseTo(whole.metrics.lossLast, 4);
    expect(decodeReplay(tail.replay!).images).toEqual(decodeReplay(whole.replay!).images);
    expect(decodeReplay(head.replay!).count).toBe(decodeReplay(first.replay!).count);
  });
});
