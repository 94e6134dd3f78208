import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directionCurve } from '../../../client/analysis/loss-curves.js';
import { perturbationSharpness } from '../../../client/analysis/sharpness.js';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import type { TrainBatch } from '../../../client/ssl/method.js';
import { useWasm } from '../../support/backend.js';
import { methodBits } from '../../support/state-bits.js';
import { labeledBatch, tinyMethod } from '../../support/tiny-methods.js';

let batches: TrainBatch[] = [];

beforeAll(async () => {
  await useWasm();
  batches = [labeledBatch(21), labeledBatch(23)];
});

afterAll(() => batches.forEach(disposeTrainBatch));

describe('directionCurve', () => {
  it("passes through the base loss at 0 and through perturbationSharpness's first draw elsewhere, exactly", async () => {
    const method = tinyMethod('SimCLR').create(1);
    const before = await methodBits(method);
    const tensors = tf.memory().numTensors;
    const curve = directionCurve(method, batches, { alphas: [-0.5, 0, 0.25, 0.5], seed: 6 });
    const sharpness = perturbationSharpness(method, batches, { radii: [0.25, 0.5], draws: 2, seed: 6 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await methodBits(method)).toEqual(before);
    expect(curve.map((p) => p.alpha)).toEqual([-0.5, 0, 0.25, 0.5]);
    expect(curve[1].loss).toBe(sharpness.baseLoss);
    expect(curve[2].loss - sharpness.baseLoss).toBe(sharpness.radii[0].rises[0]);
    expect(curve[3].loss - sharpness.baseLoss).toBe(sharpness.radii[1].rises[0]);
    expect(curve[0].loss).not.toBe(curve[3].loss);
    method.dispose();
  });

  it('gives identical numbers for the same seed and another curve for another seed', () => {
    const method = tinyMethod('supervised').create(2);
    const o = { alphas: [0, 0.5, 1] };
    const a = directionCurve(method, batches, { ...o, seed: 1 });
    expect(directionCurve(method, batches, { ...o, seed: 1 })).toEqual(a);
    const b = directionCurve(method, batches, { ...o, seed: 2 });
    expect(b[0].loss).toBe(a[0].loss);
    expect(b[1].loss).not.toBe(a[1].loss);
    expect(() => directionCurve(method, batches, { alphas: [], seed: 1 })).toThrow(/alphas is empty/);
    method.dispose();
  });
});
