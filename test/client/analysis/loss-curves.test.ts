import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directionCurve, interpolationCurve } from '../../../client/analysis/loss-curves.js';
import { perturbationSharpness } from '../../../client/analysis/sharpness.js';
import { meanLoss } from '../../../client/analysis/weight-probe.js';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import { Sgd } from '../../../client/optim/sgd.js';
import type { SslMethod, TrainBatch } from '../../../client/ssl/method.js';
import { SimClr } from '../../../client/ssl/simclr.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodBits } from '../../support/state-bits.js';
import { labeledBatch, tinyMethod } from '../../support/tiny-methods.js';
import { tinyEncoder } from '../ssl/method-contract.js';

let batches: TrainBatch[] = [];

beforeAll(async () => {
  await useWasm();
  batches = [labeledBatch(21), labeledBatch(23)];
});

afterAll(() => batches.forEach(disposeTrainBatch));

function steps(method: SslMethod, count: number, from: number): void {
  const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
  for (let s = from; s < from + count; s++) {
    const batch = labeledBatch(60 + 2 * s);
    method.step(batch, optimizer, 0.05, new Random(s + 1));
    disposeTrainBatch(batch);
  }
  optimizer.dispose();
}

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

describe('interpolationCurve', () => {
  it("is A's loss at 0 and B's at 1, exactly, for models without momentum state; A and B unchanged, no leaks", async () => {
    for (const name of ['SimSiam', 'supervised']) {
      const a = tinyMethod(name).create(1);
      const b = tinyMethod(name).create(2);
      steps(b, 2, 0);
      const [bitsA, bitsB] = [await methodBits(a), await methodBits(b)];
      const tensors = tf.memory().numTensors;
      const curve = interpolationCurve(a, b.online, batches, { alphas: [0, 0.5, 1, 1.5], seed: 4 });
      expect(tf.memory().numTensors).toBe(tensors);
      expect(await methodBits(a)).toEqual(bitsA);
      expect(await methodBits(b)).toEqual(bitsB);
      expect(curve[0].loss, name).toBe(meanLoss(a, batches, 4));
      expect(curve[2].loss, name).toBe(meanLoss(b, batches, 4));
      expect(Number.isFinite(curve[1].loss) && Number.isFinite(curve[3].loss)).toBe(true);
      expect(curve[1].loss).not.toBe(curve[0].loss);
      expect(interpolationCurve(a, b.online, batches, { alphas: [0, 0.5, 1, 1.5], seed: 4 })).toEqual(curve);
      a.dispose();
      b.dispose();
    }
  });

  it("evaluates B's weights with A's momentum encoder and queue: B's own loss once they are A's", async () => {
    const a = tinyMethod('MoCo v2').create(1);
    steps(a, 2, 0);
    const b = tinyMethod('MoCo v2').create(1);
    b.importState(await a.exportState());
    steps(b, 2, 2);
    const curve = interpolationCurve(a, b.online, batches, { alphas: [1], seed: 8 });
    // B's own key encoder and queue moved on with its steps: another loss.
    expect(curve[0].loss).not.toBe(meanLoss(b, batches, 8));
    const stateA = await a.exportState();
    b.importState({ ...(await b.exportState()), key: stateA.key, queue: stateA.queue });
    expect(curve[0].loss).toBe(meanLoss(b, batches, 8));
    a.dispose();
    b.dispose();
  });

  it('refuses models whose trainable weights differ in names or shapes', () => {
    const simclr = tinyMethod('SimCLR').create(1);
    const byol = tinyMethod('BYOL').create(1);
    const wide = new SimClr({ encoder: { ...tinyEncoder, backbone: { ...tinyEncoder.backbone, widths: [4, 16] } }, temperature: 0.2, bnGroups: 2 }, 1);
    expect(() => interpolationCurve(simclr, byol.online, batches, { alphas: [0.5], seed: 1 })).toThrow(/trainable weights differ \(only in A: none; only in B: .*predictor\./);
    expect(() => interpolationCurve(simclr, wide.online, batches, { alphas: [0.5], seed: 1 })).toThrow(/shape \[3,3,4,8\] in A but \[3,3,4,16\] in B/);
    expect(() => interpolationCurve(simclr, simclr.online, batches, { alphas: [Number.POSITIVE_INFINITY], seed: 1 })).toThrow(/non-finite/);
    for (const m of [simclr, byol, wide]) m.dispose();
  });
});
