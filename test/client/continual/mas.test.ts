import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { masImportance } from '../../../client/continual/mas.js';
import { addImportance, anchorPenalty, disposeAnchored, normalizeMax, toAnchored } from '../../../client/continual/penalty.js';
import { encoderDecls, type EncoderOptions } from '../../../client/models/encoder.js';
import { createParams, disposeParams, paramsToArrays } from '../../../client/models/params.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

const encoder: EncoderOptions = { backbone: { inputChannels: 1, widths: [4, 8], blocksPerStage: 1, stemStride: 1 }, hiddenDim: 8, outputDim: 4, init: 'he-fan-out' };

function batches(n: number): tf.Tensor4D[] {
  return Array.from({ length: n }, (_, i) => tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', i) as tf.Tensor4D);
}

describe('MAS', () => {
  it('gives non-negative importances, zero for parameters the representation ignores', async () => {
    const online = createParams(encoderDecls(encoder), 1, encoder.init);
    const xs = batches(3);
    const importance = await masImportance(online, encoder.backbone, xs);
    expect(Object.keys(importance).sort()).toEqual([...online.trainable.keys()].sort());
    for (const [name, { values }] of Object.entries(importance)) {
      expect(values.every((v) => v >= 0), name).toBe(true);
      if (name.startsWith('head.')) expect(values.every((v) => v === 0), name).toBe(true);
    }
    expect(importance['backbone.stem.w'].values.some((v) => v > 0)).toBe(true);
    tf.dispose(xs);
    disposeParams(online);
  });

  it('has a zero penalty at the anchor and a positive one away from it', async () => {
    const online = createParams(encoderDecls(encoder), 2, encoder.init);
    const xs = batches(2);
    const importance = await masImportance(online, encoder.backbone, xs);
    const anchored = toAnchored(online, importance, await paramsToArrays(online), 'MAS');
    expect(anchorPenalty(online, anchored, 1).dataSync()[0]).toBe(0);
    const w = online.trainable.get('backbone.stem.w')!;
    w.assign(tf.add(w, 0.1));
    const moved = anchorPenalty(online, anchored, 1).dataSync()[0];
    expect(moved).toBeGreaterThan(0);
    expect(anchorPenalty(online, anchored, 2).dataSync()[0]).toBeCloseTo(2 * moved, 5);
    disposeAnchored(anchored);
    tf.dispose(xs);
    disposeParams(online);
  });

  it('scales importances so the largest is one, keeping zeros at zero', () => {
    const n = normalizeMax({ a: { shape: [2], values: new Float32Array([0, 4]) }, b: { shape: [2], values: new Float32Array([2, 2]) } });
    expect(Array.from(n.a.values)).toEqual([0, 1]);
    expect(Array.from(n.b.values)).toEqual([0.5, 0.5]);
  });

  it('accumulates importances across chunks', () => {
    const a = { w: { shape: [2], values: new Float32Array([1, 2]) } };
    const b = { w: { shape: [2], values: new Float32Array([0.5, 0]) }, v: { shape: [1], values: new Float32Array([3]) } };
    const sum = addImportance(a, b);
    expect(Array.from(sum.w.values)).toEqual([1.5, 2]);
    expect(Array.from(sum.v.values)).toEqual([3]);
  });
});
