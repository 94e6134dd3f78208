/**
 * The coordinator's check of a returned state: NaN or infinity anywhere, a changed shape,
 * garbage bytes, absurd nesting and values that are not model states are refused with the
 * path named; real states of consecutive stages (with optimizer and regularizer state) pass.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../client/engine/index.js';
import { encode } from '../../shared/codec.js';
import { encodeState, type ModelState } from '../../shared/state/model-state.js';
import type { TrainTask } from '../../shared/tasks.js';
import { inspectReturnedReplay, inspectReturnedState } from '../../server/states/state-check.js';
import { tinyRelayScenario } from '../support/scenario.js';
import { stageTask } from '../support/train-task.js';

/** A small model state: named `{shape, values}` arrays under methodState. */
function state(conv: { shape: number[]; values: number[] }, extra: Partial<ModelState> = {}): Uint8Array {
  return encodeState({
    method: 'simclr',
    step: 4,
    methodState: { online: { conv: { shape: conv.shape, values: Float32Array.from(conv.values) }, bias: { shape: [2], values: new Float32Array(2) } } },
    optimizer: null,
    ...extra,
  });
}

const handedOut = state({ shape: [2, 2], values: [1, 2, 3, 4] });

describe('inspectReturnedState', () => {
  it('keeps a state with finite values and the shapes it was handed', () => {
    expect(inspectReturnedState(state({ shape: [2, 2], values: [5, 6, 7, 8] }), handedOut)).toBeNull();
    expect(inspectReturnedState(state({ shape: [3], values: [5, 6, 7] }), null)).toBeNull(); // nothing to compare with
  });

  it('refuses NaN and infinity in weights and in plain numbers, naming where', () => {
    expect(inspectReturnedState(state({ shape: [2, 2], values: [1, Number.NaN, 3, 4] }), handedOut)).toBe(
      'the returned state holds NaN at methodState.online.conv.values[1]',
    );
    expect(inspectReturnedState(state({ shape: [2, 2], values: [1, 2, 3, Number.NEGATIVE_INFINITY] }), null)).toMatch(/holds -Infinity at methodState.online.conv.values\[3\]/);
    expect(inspectReturnedState(state({ shape: [2, 2], values: [1, 2, 3, 4] }, { step: Number.POSITIVE_INFINITY }), handedOut)).toBe('the returned state holds Infinity at step');
    const f64 = encode({ queue: new Float64Array([0, Number.NaN]) });
    expect(inspectReturnedState(f64, null)).toBe('the returned state holds NaN at queue[1]');
  });

  it('refuses a changed shape, naming both; arrays may come and go (only the client knows its model)', () => {
    expect(inspectReturnedState(state({ shape: [4, 1], values: [1, 2, 3, 4] }), handedOut)).toBe(
      'the returned state changes the shape of methodState.online.conv from [2, 2] to [4, 1]',
    );
    const withoutBias = encodeState({ method: 'simclr', step: 4, methodState: { online: { conv: { shape: [2, 2], values: new Float32Array(4) } } }, optimizer: null });
    expect(inspectReturnedState(withoutBias, handedOut)).toBeNull();
  });

  it('refuses bytes that do not decode and absurd nesting', () => {
    expect(inspectReturnedState(new Uint8Array([0xc1, 0xc1, 0xc1]), handedOut)).toMatch(/^the returned state does not decode: /);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { deep };
    expect(inspectReturnedState(encode(deep), null)).toMatch(/(nests|nesting) deeper than 32 levels/);
    expect(inspectReturnedReplay(Uint8Array.from([0x92, 0x01]))).toMatch(/^the returned replay buffer does not decode: /);
    expect(inspectReturnedReplay(encode({ images: new Uint8Array(10) }))).toBeNull();
  });

  it('refuses a value that is not a model state, or one with malformed part metadata, naming what is wrong', () => {
    expect(inspectReturnedState(encode({ images: new Uint8Array(10) }), null)).toBe('the returned state is not a model state: model state: not a streamssl state');
    const blended = state({ shape: [2, 2], values: [1, 2, 3, 4] }, { partMeta: { online: { combine: 'blend' as 'whole' } } });
    expect(inspectReturnedState(blended, handedOut)).toBe(
      'the returned state is not a model state: model state.partMeta.online.combine: expected "average" or "whole", got "blend"',
    );
  });

  it('compares with the state it kept for the handed-out bytes, without decoding them again', () => {
    const returned = state({ shape: [2, 2], values: [5, 6, 7, 8] });
    expect(inspectReturnedState(returned, null)).toBeNull();
    returned.fill(0); // no longer a state: only the kept decoded one can tell its shapes
    expect(inspectReturnedState(state({ shape: [4], values: [1, 2, 3, 4] }), returned)).toBe(
      'the returned state changes the shape of methodState.online.conv from [2, 2] to [4]',
    );
  });
});

describe('real states of consecutive stages pass', () => {
  const scenario = tinyRelayScenario();
  const task = (stage: number, regularizer: 'mas' | 'distill'): TrainTask =>
    stageTask(scenario, stage, {
      steps: 2,
      optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: 'cosine', totalSteps: 4, startStep: 2 * stage, keepOptimizerState: true },
      replay: { mode: 'replay', size: 8, ratio: 0.25 },
      regularizer: { name: regularizer, lambda: 1, samples: 16 },
    });

  it.each(['mas', 'distill'] as const)('with the %s regularizer', async (regularizer) => {
    const engine = await createEngine({ backend: 'wasm' });
    const first = await engine.train(task(0, regularizer), null, null, () => {});
    expect(inspectReturnedState(first.state, null)).toBeNull();
    expect(inspectReturnedReplay(first.replay!)).toBeNull();
    const second = await engine.train(task(1, regularizer), first.state, first.replay, () => {});
    expect(inspectReturnedState(second.state, first.state)).toBeNull();
  });
});
