/**
 * The evaluateLoss contract over all six methods: the objective `step` minimizes, read
 * without changing any state.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeTrainBatch } from '../../../client/engine/batches.js';
import { Sgd } from '../../../client/optim/sgd.js';
import type { SslMethod } from '../../../client/ssl/method.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';
import { methodBits } from '../../support/state-bits.js';
import { labeledBatch, TINY_METHODS, tinyMethod } from '../../support/tiny-methods.js';

beforeAll(useWasm);

/** A few steps, so running statistics, momentum encoders and queues are no longer at their start. */
function warmUp(method: SslMethod, optimizer: Sgd): void {
  for (let s = 0; s < 2; s++) {
    const batch = labeledBatch(40 + 2 * s);
    method.step(batch, optimizer, 0.05, new Random(s + 1));
    disposeTrainBatch(batch);
  }
}

describe.each(TINY_METHODS)('$name evaluateLoss', (m) => {
  it('changes no state (weights, buffers, momentum encoder, queue), repeats itself for one rng seed and leaks nothing', async () => {
    const method = m.create(1);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    warmUp(method, optimizer);
    const batch = labeledBatch(7);
    const before = await methodBits(method);
    const tensors = tf.memory().numTensors;
    const first = method.evaluateLoss(batch, new Random(3));
    const second = method.evaluateLoss(batch, new Random(3));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Number.isFinite(first)).toBe(true);
    expect(second).toBe(first);
    // The rng drives the shuffle before ghost batch norm, where there is one.
    const otherSeed = method.evaluateLoss(batch, new Random(4));
    if (m.shuffles) expect(otherSeed).not.toBe(first);
    else expect(otherSeed).toBe(first);
    expect(await methodBits(method)).toEqual(before);
    disposeTrainBatch(batch);
    method.dispose();
    optimizer.dispose();
  });

  // MoCo moves its key encoder before the loss; with momentum 1 that move is nil. BYOL
  // moves its target after the loss, so its usual momentum is kept.
  it(`equals the loss step reports on the same batch and rng seed${m.emaBeforeLoss ? ' (momentum 1: no key update before the loss)' : ''}`, () => {
    const method = m.create(2, m.emaBeforeLoss ? 1 : 0.9);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 1e-4 });
    warmUp(method, optimizer);
    const batch = labeledBatch(9);
    const evaluated = method.evaluateLoss(batch, new Random(5));
    const stepped = method.step(batch, optimizer, 0.05, new Random(5));
    expect(Math.abs(evaluated - stepped)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(stepped)));
    // The step did move the weights: the same evaluation now reads another loss.
    expect(method.evaluateLoss(batch, new Random(5))).not.toBe(evaluated);
    disposeTrainBatch(batch);
    method.dispose();
    optimizer.dispose();
  });
});

describe('MoCo v2 evaluateLoss', () => {
  it('uses the key encoder as it is: with momentum below 1 it differs from the loss of a step that first moves the key', () => {
    const method = tinyMethod('MoCo v2').create(3, 0);
    const optimizer = new Sgd({ momentum: 0.9, weightDecay: 0 });
    warmUp(method, optimizer);
    const batch = labeledBatch(11);
    // Momentum 0: the step first copies the online encoder into the key encoder, which
    // the warm-up's last update has left one step behind.
    const evaluated = method.evaluateLoss(batch, new Random(5));
    const stepped = method.step(batch, optimizer, 0.05, new Random(5));
    expect(Math.abs(evaluated - stepped)).toBeGreaterThan(1e-5);
    disposeTrainBatch(batch);
    method.dispose();
    optimizer.dispose();
  });
});

describe('supervised evaluateLoss', () => {
  it('needs labels, as step does', () => {
    const method = tinyMethod('supervised').create(1);
    const { view1, view2, labels } = labeledBatch(13);
    expect(() => method.evaluateLoss({ view1, view2 }, new Random(1))).toThrow(/needs labels/);
    disposeTrainBatch({ view1, view2, labels });
    method.dispose();
  });
});
