import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradientMeans } from '../../../client/continual/gradient-means.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

describe('GradientMeans', () => {
  it('averages what each batch adds, and leaves no tensor or byte behind, read or disposed', async () => {
    const online = { trainable: new Map([['a', tf.variable(tf.zeros([2]))], ['b', tf.variable(tf.zeros([3]))]]), buffers: new Map<string, tf.Variable>() };
    const grads = new Map([['a', tf.tensor1d([1, -2])], ['b', tf.tensor1d([3, 0, -1])]]);
    const before = tf.memory();
    const means = new GradientMeans(online);
    means.add((name) => grads.get(name), (g) => tf.abs(g));
    means.add((name) => grads.get(name), (g) => tf.mul(g, 2));
    const out = await means.means('no batches');
    expect(Array.from(out.a.values)).toEqual([1.5, -1]);
    expect(Array.from(out.b.values)).toEqual([4.5, 0, -0.5]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    const unread = new GradientMeans(online);
    unread.add((name) => grads.get(name), (g) => g);
    unread.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
