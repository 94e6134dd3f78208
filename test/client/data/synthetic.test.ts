import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../../client/data/synthetic.js';
import { checkPartition } from '../../../shared/stream/index.js';

describe('synthetic dataset', () => {
  it('has the requested size, balanced classes and declared superclasses', () => {
    const d = generateSynthetic({ perClass: 20, imageSize: 12 });
    expect(d.name).toBe('synthetic');
    expect(d.train).toMatchObject({ count: 200, height: 12, width: 12, channels: 1, numClasses: 10 });
    expect(d.train.images.length).toBe(200 * 144);
    expect(d.test.count).toBe(40);
    const counts = new Array(10).fill(0);
    for (const l of d.train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(20));
    expect(d.train.classNames).toHaveLength(10);
    expect(() => checkPartition(d.superclasses!, 10, 'superclasses')).not.toThrow();
  });

  it('is deterministic, and a bigger set extends a smaller one', () => {
    const a = generateSynthetic({ perClass: 5 });
    const b = generateSynthetic({ perClass: 5 });
    expect(a.train.images).toEqual(b.train.images);
    expect(a.test.images).toEqual(b.test.images);
    const big = generateSynthetic({ perClass: 8 });
    expect(big.train.images.subarray(0, a.train.images.length)).toEqual(a.train.images);
    expect(a.train.images).not.toEqual(a.test.images.subarray(0, a.train.images.length));
  });

  it('varies within a class', () => {
    const d = generateSynthetic({ perClass: 3, imageSize: 16 });
    const img = (i: number) => d.train.images.subarray(i * 256, (i + 1) * 256);
    expect(img(0)).not.toEqual(img(10)); // both class 0
  });

  it('has classes a nearest-centroid classifier on raw pixels can tell apart', () => {
    const d = generateSynthetic({ perClass: 100, imageSize: 16 });
    const size = 256;
    const centroids = Array.from({ length: 10 }, () => new Float64Array(size));
    for (let i = 0; i < d.train.count; i++) {
      const c = centroids[d.train.labels[i]];
      for (let p = 0; p < size; p++) c[p] += d.train.images[i * size + p] / 100;
    }
    let correct = 0;
    for (let i = 0; i < d.test.count; i++) {
      let best = -1;
      let bestDistance = Infinity;
      centroids.forEach((c, k) => {
        let dist = 0;
        for (let p = 0; p < size; p++) dist += (d.test.images[i * size + p] - c[p]) ** 2;
        if (dist < bestDistance) [best, bestDistance] = [k, dist];
      });
      if (best === d.test.labels[i]) correct++;
    }
    expect(correct / d.test.count).toBeGreaterThan(0.6);
  });

  it('rejects bad options naming the field', () => {
    expect(() => generateSynthetic({ perClass: 0 })).toThrow(/^dataset\.perClass/);
    expect(() => generateSynthetic({ imageSize: 4 })).toThrow(/^dataset\.imageSize/);
  });
});
