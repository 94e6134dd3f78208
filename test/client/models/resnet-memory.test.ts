import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createParams, disposeParams } from '../../../client/models/params.js';
import { backboneDecls, backboneForward, type BackboneOptions } from '../../../client/models/resnet.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

describe('backboneForward memory', () => {
  /** Peak tensor bytes of one forward pass without gradients (evaluation, or a key encoder). */
  async function peakBytes(blocksPerStage: number, training: boolean): Promise<number> {
    const o: BackboneOptions = { inputChannels: 3, widths: [8], blocksPerStage, stemStride: 1 };
    const p = createParams(backboneDecls(o), 1, 'he-fan-out');
    const x = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    let out: tf.Tensor | undefined;
    const info = await tf.profile(() => {
      out = tf.tidy(() => backboneForward(p, o, x, { training, bnGroups: 2 }));
    });
    out!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    disposeParams(p);
    return info.peakBytes;
  }

  it("holds one block's intermediates at a time, however deep the network", async () => {
    for (const training of [false, true]) {
      const shallow = await peakBytes(1, training);
      const deep = await peakBytes(6, training);
      // Kept to the end of the pass, six blocks' intermediates would be about 6x one block's.
      expect(deep / shallow, `training ${training}`).toBeLessThan(1.5);
    }
  });
});
