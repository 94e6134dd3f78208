import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchNorm } from '../../../client/models/layers.js';
import { createParams, disposeParams, type Params } from '../../../client/models/params.js';
import { backboneDecls, backboneForward, type BackboneOptions } from '../../../client/models/resnet.js';
import { leanGradsAvailable, leanVariableGrads, trimTape } from '../../../client/optim/lean-grads.js';
import { useWasm } from '../../support/backend.js';
import { readGrads } from '../../support/read-grads.js';

beforeAll(useWasm);

const backbone: BackboneOptions = { inputChannels: 3, widths: [8, 16], blocksPerStage: 2, stemStride: 1 };

describe('leanVariableGrads', () => {
  let p: Params;
  let x: tf.Tensor4D;
  beforeAll(() => {
    p = createParams(backboneDecls(backbone), 7, 'he-fan-out');
    x = tf.randomNormal([16, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  });
  afterAll(() => {
    disposeParams(p);
    x.dispose();
  });

  /** A ResNet forward with ghost batch norm, a broadcast add and a sum: most kernels a step records. */
  const loss = (): tf.Scalar => {
    const features = backboneForward(p, backbone, x, { training: true, bnGroups: 4 });
    const normed = batchNorm(p, 'backbone.stem.bn', tf.reshape(features, [16, 1, 1, 16]).slice([0, 0, 0, 0], [16, 1, 1, 8]) as tf.Tensor4D, { training: true, bnGroups: 2 });
    return tf.add(tf.mean(tf.square(features)), tf.sum(tf.mul(normed, 0.1))) as tf.Scalar;
  };
  const vars = () => [...p.trainable.values()];

  it('runs lean here (the engine internals it needs are there)', () => {
    expect(leanGradsAvailable()).toBe(true);
  });

  it("gives tf.variableGrads's value and gradients bit for bit", async () => {
    const reference = await readGrads(tf.variableGrads(loss, vars()));
    const lean = await readGrads(leanVariableGrads(loss, vars()));
    expect(Object.keys(lean).sort()).toEqual(Object.keys(reference).sort());
    // Exact equality: the same kernels in the same order, only freed earlier.
    for (const name of Object.keys(reference)) expect(lean[name], name).toEqual(reference[name]);
  });

  it('holds far fewer tensor bytes at its peak than tf.variableGrads', async () => {
    const peak = async (grads: () => { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
      let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      const info = await tf.profile(() => {
        result = grads();
      });
      tf.dispose([result!.value, ...Object.values(result!.grads)]);
      return info.peakBytes;
    };
    const reference = await peak(() => tf.variableGrads(loss, vars()));
    const lean = await peak(() => leanVariableGrads(loss, vars()));
    // Measured about 0.3: every gradient and saved activation alive at the end of the
    // backward pass (tfjs) against the forward's trimmed activations (lean).
    expect(lean / reference).toBeLessThan(0.6);
  });

  it('frees everything it made but its results, also when the loss throws', async () => {
    const before = tf.memory().numTensors;
    const result = leanVariableGrads(loss, vars());
    expect(tf.memory().numTensors).toBe(before + 1 + Object.keys(result.grads).length);
    tf.dispose([result.value, ...Object.values(result.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    const throwing = () => {
      loss();
      throw new Error('boom');
    };
    expect(() => leanVariableGrads(throwing, vars())).toThrow('boom');
    expect(tf.memory().numTensors).toBe(before);
    const notScalar = () => backboneForward(p, backbone, x, { training: true, bnGroups: 1 }) as unknown as tf.Scalar;
    expect(() => leanVariableGrads(notScalar, vars())).toThrow(/scalar/);
    expect(tf.memory().numTensors).toBe(before);
    // The engine is left able to record the next tape.
    const next = await readGrads(leanVariableGrads(loss, vars()));
    expect(Number.isFinite(next.value[0])).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trimTape does nothing outside a lean tape, nor inside tfjs-own gradients', () => {
    const before = tf.memory().numTensors;
    expect(() => trimTape()).not.toThrow();
    const { value, grads } = tf.variableGrads(() => {
      const y = tf.sum(tf.square(backboneForward(p, backbone, x, { training: true, bnGroups: 1 }))) as tf.Scalar;
      trimTape();
      return y;
    }, vars());
    expect(Object.keys(grads).length).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
