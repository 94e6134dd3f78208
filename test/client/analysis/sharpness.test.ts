import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perturbationSharpness } from '../../../client/analysis/sharpness.js';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import { dense } from '../../../client/models/layers.js';
import { backboneForward } from '../../../client/models/resnet.js';
import { Sgd } from '../../../client/optim/sgd.js';
import type { SslMethod, TrainBatch } from '../../../client/ssl/method.js';
import { crossEntropy } from '../../../client/ssl/supervised.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodBits } from '../../support/state-bits.js';
import { labeledBatch, TINY_METHODS, tinyMethod } from '../../support/tiny-methods.js';
import { tinyEncoder } from '../ssl/method-contract.js';

let batches: TrainBatch[] = [];

beforeAll(async () => {
  await useWasm();
  batches = [labeledBatch(21), labeledBatch(23)];
});

afterAll(() => batches.forEach(disposeTrainBatch));

/**
 * Plain SGD on the measured batches, so the model sits nearer a minimum of their loss:
 * at initialization a random step can as well lower the loss (SimCLR's does).
 */
function trainOnBatches(method: SslMethod, steps: number): void {
  const optimizer = new Sgd({ momentum: 0, weightDecay: 0 });
  for (let s = 0; s < steps; s++) method.step(batches[s % batches.length], optimizer, 0.02, new Random(s + 1));
  optimizer.dispose();
}

describe.each(TINY_METHODS)('perturbationSharpness of $name', (m) => {
  it('rises by exactly 0 at radius 0 and more with the radius, restoring weights and state bit for bit without leaks', async () => {
    const method = m.create(1);
    trainOnBatches(method, 20);
    const before = await methodBits(method);
    const tensors = tf.memory().numTensors;
    const result = perturbationSharpness(method, batches, { radii: [0, 0.1, 0.5, 1], draws: 3, seed: 7 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await methodBits(method)).toEqual(before);
    const [zero, ...rest] = result.radii;
    expect(zero).toEqual({ radius: 0, mean: 0, std: 0, min: 0, max: 0, rises: [0, 0, 0] });
    const means = rest.map((r) => r.mean);
    const summary = result.radii.map((r) => `${r.radius}: ${r.mean.toFixed(4)} ± ${r.std.toFixed(4)}`).join(', ');
    expect(means[0], summary).toBeGreaterThan(0);
    expect(means[1], summary).toBeGreaterThan(means[0]);
    expect(means[2], summary).toBeGreaterThan(means[1]);
    for (const r of rest) {
      expect(r.rises).toHaveLength(3);
      expect(r.min).toBe(Math.min(...r.rises));
      expect(r.max).toBe(Math.max(...r.rises));
      expect(r.mean).toBeCloseTo(r.rises.reduce((s, v) => s + v, 0) / 3, 10);
    }
    method.dispose();
  });
});

describe('perturbationSharpness', () => {
  it('gives identical numbers for the same seed and other directions for another seed', () => {
    const method = tinyMethod('BYOL').create(2);
    const o = { radii: [0.5], draws: 2 };
    const a = perturbationSharpness(method, batches, { ...o, seed: 3 });
    const b = perturbationSharpness(method, batches, { ...o, seed: 3 });
    const c = perturbationSharpness(method, batches, { ...o, seed: 4 });
    expect(b).toEqual(a);
    // BYOL's loss has no random part: only the directions differ.
    expect(c.baseLoss).toBe(a.baseLoss);
    expect(c.radii[0].rises[0]).not.toBe(a.radii[0].rises[0]);
    expect(c.radii[0].rises[1]).not.toBe(a.radii[0].rises[1]);
    // Two draws of one seed are two directions.
    expect(a.radii[0].rises[1]).not.toBe(a.radii[0].rises[0]);
    expect(a.radii[0].std).toBeGreaterThan(0);
    method.dispose();
  });

  it('measures the supervised baseline on its cross-entropy', () => {
    const method = tinyMethod('supervised').create(3);
    const { baseLoss } = perturbationSharpness(method, batches, { radii: [0.1], draws: 1, seed: 1 });
    const mode = { training: true, bnGroups: 2 };
    const direct = tf.tidy(() => {
      const losses = batches.map((b) => crossEntropy(dense(method.online, 'classifier', backboneForward(method.online, tinyEncoder.backbone, b.view1, mode)), b.labels as tf.Tensor1D));
      return tf.mean(tf.stack(losses)).dataSync()[0];
    });
    expect(baseLoss).toBeCloseTo(direct, 5);
    method.dispose();
  });

  it('refuses draws below 1, no radii, a non-finite radius and no batches', () => {
    const method = tinyMethod('SimSiam').create(1);
    expect(() => perturbationSharpness(method, batches, { radii: [0.1], draws: 0, seed: 1 })).toThrow(/draws/);
    expect(() => perturbationSharpness(method, batches, { radii: [], draws: 1, seed: 1 })).toThrow(/radii is empty/);
    expect(() => perturbationSharpness(method, batches, { radii: [0.1, Number.NaN], draws: 1, seed: 1 })).toThrow(/non-finite/);
    expect(() => perturbationSharpness(method, [], { radii: [0.1], draws: 1, seed: 1 })).toThrow(/no batches/);
    method.dispose();
  });
});
