import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { filterNormalizedDirection } from '../../../client/analysis/filter-direction.js';
import { useWasm } from '../../support/backend.js';
import { tinyMethod } from '../../support/tiny-methods.js';

beforeAll(useWasm);

/** Norms of the slices along the last axis, computed in plain JS. */
function filterNormsOf(t: tf.Tensor): number[] {
  const filters = t.shape[t.rank - 1];
  const values = t.dataSync();
  const sums = new Array<number>(filters).fill(0);
  values.forEach((v, i) => (sums[i % filters] += v * v));
  return sums.map(Math.sqrt);
}

/** Cosine between the flattened filter `f` of two tensors of one shape. */
function filterCosine(a: tf.Tensor, b: tf.Tensor, f: number): number {
  const filters = a.shape[a.rank - 1];
  const [x, y] = [a.dataSync(), b.dataSync()];
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = f; i < x.length; i += filters) {
    dot += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return dot / Math.sqrt(xx * yy);
}

const bitsOf = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('filterNormalizedDirection', () => {
  it('gives each conv and dense filter the norm of its weight filter, zeros for 1-D weights, and nothing for buffers', () => {
    const method = tinyMethod('supervised').create(1);
    const weights = method.online.trainable;
    const direction = filterNormalizedDirection(weights, 5);
    expect([...direction.keys()]).toEqual([...weights.keys()]);
    for (const name of method.online.buffers.keys()) expect(direction.has(name), name).toBe(false);
    const ranks = new Set<number>();
    for (const [name, w] of weights) {
      const d = direction.get(name) as tf.Tensor;
      expect(d.shape, name).toEqual(w.shape);
      ranks.add(w.rank);
      if (w.rank === 1) {
        expect(Array.from(d.dataSync()).every((v) => v === 0), `${name} is zero`).toBe(true);
        continue;
      }
      const [dn, wn] = [filterNormsOf(d), filterNormsOf(w)];
      dn.forEach((n, f) => expect(Math.abs(n - wn[f]), `${name} filter ${f}`).toBeLessThan(1e-5 * Math.max(1, wn[f])));
      // Random, not the weights rescaled.
      for (let f = 0; f < dn.length; f++) expect(Math.abs(filterCosine(d, w, f)), `${name} filter ${f}`).toBeLessThan(0.99);
    }
    // The tiny model has conv kernels, a dense classifier and 1-D batch-norm and bias weights.
    expect([...ranks].sort()).toEqual([1, 2, 4]);
    tf.dispose([...direction.values()]);
    method.dispose();
  });

  it('is the same for the same seed (whatever the order of the map) and another for another seed; leaks nothing', () => {
    const method = tinyMethod('SimCLR').create(2);
    const weights = method.online.trainable;
    const tensors = tf.memory().numTensors;
    const a = filterNormalizedDirection(weights, 9);
    const b = filterNormalizedDirection(new Map([...weights].reverse()), 9);
    const c = filterNormalizedDirection(weights, 10);
    const name = 'backbone.s1.b0.conv1.w';
    for (const [n, d] of a) expect(bitsOf(b.get(n) as tf.Tensor), n).toEqual(bitsOf(d));
    expect(bitsOf(c.get(name) as tf.Tensor)).not.toEqual(bitsOf(a.get(name) as tf.Tensor));
    for (const d of [a, b, c]) tf.dispose([...d.values()]);
    expect(tf.memory().numTensors).toBe(tensors);
    method.dispose();
  });

  it('leaves a filter that is all zero at zero (no division by zero)', () => {
    const w = tf.tensor2d([
      [0, 1],
      [0, 2],
    ]);
    const direction = filterNormalizedDirection(new Map([['fc.w', w]]), 3);
    const d = direction.get('fc.w') as tf.Tensor;
    const norms = filterNormsOf(d);
    expect(norms[0]).toBe(0);
    expect(norms[1]).toBeCloseTo(Math.sqrt(5), 5);
    tf.dispose([w, d]);
  });
});
