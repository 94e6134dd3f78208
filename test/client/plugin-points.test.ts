/**
 * Adding an SSL method or a regularizer is its own code plus one registry line: both are
 * defined here, added to copies of the built-in registries in one line each, and train
 * stages through the real trainer (augmentation pipeline, optimizer, state hand-off) on
 * synthetic images with the cpu backend. The dummy method also serves the built-in
 * distillation through its own distillation hook.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../client/backend.js';
import type { AfterStageContext, Regularizer, RegularizerSettings, RegularizerState } from '../../client/continual/regularizer.js';
import { REGULARIZERS } from '../../client/continual/regularizers.js';
import { computeNormalization } from '../../client/data/normalization.js';
import { generateSynthetic } from '../../client/data/synthetic.js';
import type { Registries } from '../../client/engine/registries.js';
import { trainStage, type StageOptions } from '../../client/engine/trainer.js';
import type { ModelState } from '../../shared/state/model-state.js';
import type { EncoderOptions } from '../../client/models/encoder.js';
import { createParams, type Params } from '../../client/models/params.js';
import { backboneDecls, backboneForward, type BackboneOptions } from '../../client/models/resnet.js';
import type { Objective } from '../../client/ssl/gradient-step.js';
import { createMethod, SSL_METHODS } from '../../client/ssl/index.js';
import type { ExtraLoss, SslMethod, TrainBatch } from '../../client/ssl/method.js';
import { OnlineObjectiveMethod } from '../../client/ssl/online-objective-method.js';
import type { SslCommonOptions } from '../../shared/ssl-options/index.js';
import type { Progress } from '../../shared/tasks.js';

/** The dummy method's own options, beside the common ones. */
interface DummyOptions extends SslCommonOptions {
  method: 'dummy';
  /** Weight of its loss. */
  weight: number;
}

/** A method that pulls the two views' backbone features together (it collapses, but only a few steps run). */
class DummyMethod extends OnlineObjectiveMethod implements SslMethod {
  readonly online: Params;
  protected readonly stateName = 'Dummy';
  /** Times distillation asked for this method's loss form. */
  distillations = 0;

  constructor(
    protected readonly options: DummyOptions,
    private readonly backbone: BackboneOptions,
    seed: number,
  ) {
    super();
    this.online = createParams(backboneDecls(backbone), seed, 'he-fan-out');
  }

  protected objective({ view1, view2 }: TrainBatch): Objective {
    return (mode) => {
      const representation = backboneForward(this.online, this.backbone, view1, mode);
      const other = backboneForward(this.online, this.backbone, view2, mode);
      return { loss: tf.mul(tf.mean(tf.squaredDifference(representation, other)), this.options.weight) as tf.Scalar, representation };
    };
  }

  distillationLoss(predicted: tf.Tensor2D, frozen: tf.Tensor2D): tf.Scalar {
    this.distillations++;
    return tf.mean(tf.squaredDifference(predicted, frozen)) as tf.Scalar;
  }
}

/** A regularizer that counts the chunks it learned from and, after the first, penalizes the features' size. */
class StageCounter implements Regularizer {
  private stages: number;

  constructor(
    private readonly options: RegularizerSettings,
    state: RegularizerState | null,
  ) {
    this.stages = state?.counter.stages.values[0] ?? 0;
  }

  extraLoss(): ExtraLoss | undefined {
    if (this.stages === 0) return undefined;
    return ({ representation }) => tf.mul(tf.mean(tf.square(representation)), this.options.lambda) as tf.Scalar;
  }

  async afterStage({ plainBatches }: AfterStageContext): Promise<void> {
    for (const batch of plainBatches()) expect(batch.shape[0]).toBeGreaterThan(0);
    this.stages++;
  }

  exportState(): RegularizerState {
    return { counter: { stages: { shape: [1], values: Float32Array.of(this.stages) } } };
  }

  dispose(): void {}
}

const registries: Registries = {
  methods: { ...SSL_METHODS, dummy: (ssl: DummyOptions, encoder, seed) => new DummyMethod(ssl, encoder.backbone, seed) },
  regularizers: { ...REGULARIZERS, 'stage-counter': (options, _online, state) => new StageCounter(options, state) },
};

const encoder: EncoderOptions = { backbone: { inputChannels: 1, widths: [4, 8], blocksPerStage: 1, stemStride: 1 }, hiddenDim: 8, outputDim: 4, init: 'he-fan-out' };
const ssl: DummyOptions = {
  method: 'dummy',
  weight: 1,
  bnGroups: 2,
  augment: { cropScale: [0.2, 1], flip: true, jitter: 0.4, jitterProbability: 0.8, blurProbability: 0.5 },
};
const STEPS = 3;
const chunk = generateSynthetic({ perClass: 4, imageSize: 8 }).train;
const norm = computeNormalization(chunk);

function stage(index: number, regularizer: string): StageOptions {
  return {
    taskId: `plugins:stage-${index}`,
    ssl,
    batchSize: 8,
    steps: STEPS,
    optimizer: { lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: 'constant', totalSteps: 2 * STEPS, startStep: index * STEPS, keepOptimizerState: true },
    replay: { mode: 'none' },
    regularizer: { name: regularizer, lambda: 0.5, samples: 16 },
    modelSeed: 1,
    stageSeed: 10 + index,
    encoder,
  };
}

/** Two stages with `regularizer`, the second continuing from the first's state; the second's method is returned. */
async function twoStages(regularizer: string): Promise<{ method: DummyMethod; state: ModelState; progress: Progress[] }> {
  const progress: Progress[] = [];
  let previous: ModelState | null = null;
  let method: SslMethod | null = null;
  for (const index of [0, 1]) {
    method?.dispose();
    const result = await trainStage(stage(index, regularizer), chunk, null, norm, previous, (p) => progress.push(p), registries);
    expect(Number.isFinite(result.lossFirst) && Number.isFinite(result.lossLast)).toBe(true);
    previous = result.state;
    method = result.method;
  }
  return { method: method as DummyMethod, state: previous!, progress };
}

describe('plug-in points: a method and a regularizer of a test', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('train stages through the trainer, and hand their state on', async () => {
    const { method, state, progress } = await twoStages('stage-counter');
    expect(method).toBeInstanceOf(DummyMethod);
    expect(state).toMatchObject({ method: 'dummy', step: 2 * STEPS });
    expect(state.regularizer?.counter.stages.values[0]).toBe(2);
    expect(progress.filter((p) => p.step === STEPS)).toHaveLength(2);
    method.dispose();
  });

  it("serve the built-in distillation through the method's own hook", async () => {
    const { method, state } = await twoStages('distill');
    expect(method.distillations).toBeGreaterThan(0);
    expect(Object.keys(state.regularizer ?? {})).toEqual(['frozen']);
    method.dispose();
  });

  it('are unknown to the built-in registries', () => {
    expect(() => createMethod(ssl, encoder, 1)).toThrow('ssl.method: unknown method "dummy"');
  });
});
