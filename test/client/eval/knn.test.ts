import { beforeAll, describe, expect, it } from 'vitest';
import type { FeatureSet } from '../../../client/eval/features.js';
import { knnPredict, knnTop1 } from '../../../client/eval/knn.js';
import { linearProbeTop1 } from '../../../client/eval/linear-probe.js';
import { Random } from '../../../shared/random.js';
import { useWasm } from '../../support/backend.js';

beforeAll(useWasm);

/** Features clustered around one direction per class, with noise of the given scale. */
function clustered(count: number, noise: number, seed: number): FeatureSet {
  const rng = new Random(seed);
  const dim = 8;
  const values = new Float32Array(count * dim);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 4;
    for (let d = 0; d < dim; d++) values[i * dim + d] = (d === labels[i] ? 1 : 0) + noise * rng.normal();
  }
  return { values, labels, count, dim };
}

describe('frozen-feature classifiers', () => {
  it('kNN is perfect on well separated classes and near chance on noise', () => {
    expect(knnTop1(clustered(200, 0.05, 1), clustered(100, 0.05, 2), { k: 5, temperature: 0.1, numClasses: 4 })).toBe(1);
    const chance = knnTop1(clustered(200, 50, 1), clustered(400, 50, 2), { k: 5, temperature: 0.1, numClasses: 4 });
    expect(chance).toBeLessThan(0.45);
  });

  it('kNN predicts the same classes whatever the chunk of test rows', () => {
    const bank = clustered(300, 1, 5);
    const test = clustered(301, 1, 6);
    const o = { k: 7, temperature: 0.1, numClasses: 4 };
    const whole = knnPredict(bank, test, o, 512);
    expect(Array.from(knnPredict(bank, test, o, 128))).toEqual(Array.from(whole));
    expect(Array.from(knnPredict(bank, test, o, 7))).toEqual(Array.from(whole));
  });

  it('the linear probe separates linearly separable classes', () => {
    const acc = linearProbeTop1(clustered(400, 0.2, 3), clustered(200, 0.2, 4), { epochs: 20, lr: 0.05, batchSize: 64, numClasses: 4, seed: 1 });
    expect(acc).toBeGreaterThan(0.95);
  });
});
