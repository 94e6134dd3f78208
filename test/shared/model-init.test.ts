import { describe, expect, it } from 'vitest';
import { buildTrainTask } from '../../server/schedule/build.js';
import { evalTaskFor } from '../../server/schedule/eval-task.js';
import { bnDecls, convDecls, denseDecls } from '../../shared/model/decls.js';
import { INIT_SCHEMES, kaimingUniformBound, paramDistribution, xavierUniformBound, type InitScheme } from '../../shared/model/init.js';
import { encoderOptions } from '../../shared/model/encoder.js';
import { BATCH_NORM_KERNELS, CONV_ALGORITHMS, ScenarioError } from '../../shared/scenario.js';
import { stateManifest } from '../../shared/state/manifest.js';
import { tinyScenario } from '../support/scenario.js';

const [conv] = convDecls('c', 3, 16, 32); // fan-in 144, fan-out 288
const [denseW, denseB] = denseDecls('d', 64, 10); // fan-in 64, fan-out 10
const tinyModel = { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 };

describe('model.init distributions', () => {
  it("derives torch's kaiming_uniform_(a = sqrt(5)) bound: 1/sqrt(fan_in)", () => {
    for (const fan of [1, 9, 64, 576, 4608]) expect(kaimingUniformBound(Math.sqrt(5), fan)).toBeCloseTo(1 / Math.sqrt(fan), 14);
    // a = 0 is He-uniform: sqrt(6 / fan).
    expect(kaimingUniformBound(0, 24)).toBeCloseTo(0.5, 14);
    expect(xavierUniformBound({ fanIn: 2, fanOut: 4 })).toBeCloseTo(1, 14);
  });

  it('states each scheme per role', () => {
    expect(paramDistribution(conv, 'he-fan-out')).toEqual({ kind: 'normal', std: Math.sqrt(2 / 288) });
    expect(paramDistribution(denseW, 'he-fan-out')).toEqual({ kind: 'uniform', bound: 1 / 8 });
    expect(paramDistribution(denseB, 'he-fan-out')).toEqual({ kind: 'constant', value: 0 });

    const torchConv = paramDistribution(conv, 'torch-default');
    expect(torchConv.kind).toBe('uniform');
    expect(torchConv.kind === 'uniform' && torchConv.bound).toBeCloseTo(1 / 12, 14);
    expect(paramDistribution(denseB, 'torch-default')).toEqual({ kind: 'uniform', bound: 1 / 8 });

    expect(paramDistribution(conv, 'xavier')).toEqual({ kind: 'uniform', bound: Math.sqrt(3) * Math.sqrt(2 / (144 + 288)) });
    expect(paramDistribution(denseW, 'xavier')).toEqual({ kind: 'uniform', bound: Math.sqrt(3) * Math.sqrt(2 / 74) });
    expect(paramDistribution(denseB, 'xavier')).toEqual({ kind: 'constant', value: 0 });

    for (const scheme of INIT_SCHEMES) {
      expect(bnDecls('bn', 4).map((d) => paramDistribution(d, scheme))).toEqual([1, 0, 0, 1].map((value) => ({ kind: 'constant', value })));
    }
  });

  it('refuses a bias that declares no fan-in under torch-default', () => {
    expect(() => paramDistribution({ ...denseB, fanIn: undefined }, 'torch-default')).toThrow(/bias "d\.b" declares no fan-in/);
  });
});

describe('model.init in scenarios and tasks', () => {
  it('accepts each scheme, leaves it absent by default and names a wrong one', () => {
    for (const init of INIT_SCHEMES) expect(tinyScenario({ model: { ...tinyModel, init } }).model.init).toBe(init);
    expect(tinyScenario().model.init).toBeUndefined();
    expect(() => tinyScenario({ model: { ...tinyModel, init: 'lecun' } })).toThrow(ScenarioError);
    expect(() => tinyScenario({ model: { ...tinyModel, init: 'lecun' } })).toThrow(/model\.init/);
  });

  it('reaches the arms and the random-init floor alike, and leaves the state layout alone', () => {
    const scenario = tinyScenario({ model: { ...tinyModel, init: 'torch-default' } });
    const spec = { stage: 0, chunks: [0], steps: 2, startStep: 0, totalSteps: 2, replay: { mode: 'none' as const }, evaluate: false };
    const train = buildTrainTask({ scenario, arm: scenario.arms[0], chunkSizes: [20, 20, 20] }, spec);
    expect(train.model.init).toBe('torch-default');
    expect(evalTaskFor(scenario, 'random-init:eval').model.init).toBe('torch-default');
    // A state drawn under one scheme fits a task of another: init changes values, not shapes.
    const shapes = (init: InitScheme | undefined) => {
      const { init: _, ...model } = train.model;
      const m = stateManifest({ ...train, model: init ? { ...model, init } : model }, { channels: 1, numClasses: 10 });
      return Object.entries(m.methodState.groups).map(([part, arrays]) => [part, arrays.map((a) => `${a.name}:${a.shape}`)]);
    };
    for (const init of [undefined, ...INIT_SCHEMES]) expect(shapes(init)).toEqual(shapes('torch-default'));
  });
});

// Kernel choices: opt-in, absent by default so that tasks planned before compare equal on resume.
describe.each([
  { field: 'batchNorm', values: BATCH_NORM_KERNELS, chosen: 'fused', wrong: 'fast' },
  { field: 'convolutions', values: CONV_ALGORITHMS, chosen: 'winograd', wrong: 'fft' },
] as const)('model.$field in scenarios and tasks', ({ field, values, chosen, wrong }) => {
  it('accepts each value, leaves it absent by default, names a wrong one, and reaches the train and eval tasks and encoder', () => {
    for (const value of values) expect(tinyScenario({ model: { ...tinyModel, [field]: value } }).model[field]).toBe(value);
    expect(tinyScenario().model[field]).toBeUndefined();
    expect(() => tinyScenario({ model: { ...tinyModel, [field]: wrong } })).toThrow(new RegExp(`model\\.${field}`));
    const scenario = tinyScenario({ model: { ...tinyModel, [field]: chosen } });
    const spec = { stage: 0, chunks: [0], steps: 2, startStep: 0, totalSteps: 2, replay: { mode: 'none' as const }, evaluate: false };
    const train = buildTrainTask({ scenario, arm: scenario.arms[0], chunkSizes: [20, 20, 20] }, spec);
    expect(encoderOptions(train.model, 1)[field]).toBe(chosen);
    expect(encoderOptions(evalTaskFor(scenario, 'random-init:eval').model, 1)[field]).toBe(chosen);
    expect(field in encoderOptions(tinyScenario().model, 1)).toBe(false);
  });
});
