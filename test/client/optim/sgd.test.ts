import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sgd } from '../../../client/optim/sgd.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

const expectClose = (got: ArrayLike<number>, want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((x, i) => expect(got[i]).toBeCloseTo(x, 6));
};

describe('Sgd', () => {
  it('steps on from restored momentum buffers, and leaves no tensor or byte behind', async () => {
    const params = new Map([['w', tf.variable(tf.tensor1d([1, -2, 3]))]]);
    const grads = { [params.get('w')!.name]: tf.tensor1d([0.5, 0.25, -1]) };
    const before = tf.memory();
    const sgd = new Sgd({ momentum: 0.9, weightDecay: 0.01 });
    sgd.importState({ w: { shape: [3], values: Float32Array.of(0.1, 0.2, -0.3) } }, params);
    sgd.apply(params, grads, 0.1);
    // v = 0.9 * v0 + (g + 0.01 * w); w -= 0.1 * v.
    const v = [0.9 * 0.1 + (0.5 + 0.01 * 1), 0.9 * 0.2 + (0.25 + 0.01 * -2), 0.9 * -0.3 + (-1 + 0.01 * 3)];
    expectClose(await params.get('w')!.data(), [1 - 0.1 * v[0], -2 - 0.1 * v[1], 3 - 0.1 * v[2]]);
    expectClose((await sgd.exportState()).w.values, v);
    sgd.dispose();
    // The parameter's memory was replaced by the step's; the buffers are gone, and what restored them.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
