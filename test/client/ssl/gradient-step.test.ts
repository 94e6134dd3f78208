import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNorm, bnDecls, dense, denseDecls } from '../../../client/models/layers.js';
import { createParams, param, type Params } from '../../../client/models/params.js';
import { Sgd } from '../../../client/optim/sgd.js';
import { gradientStep, stopGradient, type StepObjective } from '../../../client/ssl/gradient-step.js';
import type { ExtraLoss } from '../../../client/ssl/method.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

/** A dense layer and a batch norm; the loss is the mean square of the output. */
function setup(): { p: Params; x: tf.Tensor2D; view1: tf.Tensor4D; objective: Parameters<typeof gradientStep>[1] } {
  const p = createParams([...denseDecls('fc', 3, 2), ...bnDecls('bn', 2)], 1, 'he-fan-out');
  const x = tf.tensor2d([1, 2, 3, -1, 0, 2, 0.5, 0.5, -2, 2, 1, 0], [4, 3]);
  const view1 = tf.zeros([4, 1, 1, 1]) as tf.Tensor4D;
  const objective = (mode: Parameters<Parameters<typeof gradientStep>[1]>[0]): StepObjective => {
    const representation = dense(p, 'fc', x);
    const out = batchNorm(p, 'bn', tf.add(representation, 1) as tf.Tensor2D, mode);
    return { loss: tf.mean(tf.square(tf.sub(out, tf.tensor1d([0.5, -0.5])))), representation };
  };
  return { p, x, view1, objective };
}

const read = (p: Params, name: string) => Array.from(param(p, name).dataSync());

describe('gradientStep', () => {
  it('applies lr * gradient, folds batch statistics and frees what it made', () => {
    const { p, view1, objective } = setup();
    const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
    const w0 = read(p, 'fc.w');
    const { grads } = tf.variableGrads(() => objective({ training: true, bnGroups: 1 }).loss, [...p.trainable.values()]);
    const g = Array.from(grads[param(p, 'fc.w').name].dataSync());
    tf.dispose(Object.values(grads));
    const tensors = tf.memory().numTensors;
    const loss = gradientStep({ online: p, optimizer, lr: 0.1, bnGroups: 1, view1 }, objective);
    expect(Number.isFinite(loss)).toBe(true);
    read(p, 'fc.w').forEach((v, i) => expect(v).toBeCloseTo(w0[i] - 0.1 * g[i], 6));
    expect(read(p, 'bn.mean').some((v) => v !== 0)).toBe(true);
    gradientStep({ online: p, optimizer, lr: 0.1, bnGroups: 1, view1 }, objective);
    // The second step only adds nothing: the velocity buffers were made by the first.
    expect(tf.memory().numTensors).toBe(tensors + p.trainable.size);
    optimizer.dispose();
  });

  it('adds the extra term to the gradient but returns the method loss', () => {
    const runs = [false, true].map((withExtra) => {
      const { p, view1, objective } = setup();
      const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
      const extra: ExtraLoss = ({ online }) => tf.sum(param(online, 'fc.b'));
      const loss = gradientStep({ online: p, optimizer, lr: 0.1, bnGroups: 1, view1, extra: withExtra ? extra : undefined }, objective);
      optimizer.dispose();
      return { loss, b: read(p, 'fc.b') };
    });
    expect(runs[1].loss).toBe(runs[0].loss);
    runs[1].b.forEach((v, i) => expect(v).toBeCloseTo(runs[0].b[i] - 0.1, 6));
  });

  it('refuses a non-finite loss or gradient before touching the weights', () => {
    const { p, view1, objective } = setup();
    const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
    const before = [...p.trainable.keys(), ...p.buffers.keys()].map((n) => read(p, n));
    const tensors = tf.memory().numTensors;
    const nanLoss: ExtraLoss = () => tf.scalar(Number.POSITIVE_INFINITY);
    // sqrt at zero: the value is 0, the gradient 0 * Infinity = NaN.
    const nanGradient: ExtraLoss = ({ online }) => tf.sqrt(tf.sum(tf.square(tf.sub(param(online, 'fc.w'), param(online, 'fc.w'))))) as tf.Scalar;
    expect(() => gradientStep({ online: p, optimizer, lr: 0.1, bnGroups: 1, view1, extra: nanLoss }, objective)).toThrow(/loss is .*extra term: Infinity/);
    expect(() => gradientStep({ online: p, optimizer, lr: 0.1, bnGroups: 1, view1, extra: nanGradient }, objective)).toThrow(/gradients are not finite/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect([...p.trainable.keys(), ...p.buffers.keys()].map((n) => read(p, n))).toEqual(before);
    optimizer.dispose();
  });
});

describe('stopGradient', () => {
  it('passes the value and blocks the gradient', () => {
    const x = tf.tensor1d([1, -2, 3]);
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, -2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.add(tf.sum(tf.square(stopGradient(v))), tf.sum(v)))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1]);
  });
});
