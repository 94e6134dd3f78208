import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ownedVariable } from '../../../client/models/params.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

describe('ownedVariable', () => {
  it('owns the value it is made from: assigned and disposed, it leaves no tensor or byte behind', async () => {
    const before = tf.memory();
    // An intermediate and the value itself: neither may outlive the variable.
    const v = ownedVariable(() => tf.add(tf.ones([4]), tf.scalar(1)), false);
    expect(v.trainable).toBe(false);
    expect(v.dtype).toBe('float32');
    expect(Array.from(await v.data())).toEqual([2, 2, 2, 2]);
    expect(tf.memory().numTensors).toBe(before.numTensors + 1);
    tf.tidy(() => v.assign(tf.zeros([4])));
    expect(Array.from(await v.data())).toEqual([0, 0, 0, 0]);
    expect(tf.memory().numBytes).toBe(before.numBytes + 16);
    v.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    const trainable = ownedVariable(() => tf.zeros([2], 'int32'), true);
    expect([trainable.trainable, trainable.dtype]).toEqual([true, 'float32']);
    trainable.dispose();
  });
});
