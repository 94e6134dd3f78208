import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedBufferOf } from '../../../client/data/shared-bytes.js';
import { limitStratified, loadDataset, loadSelection, planStream, selectChunkSamples, selectChunks, subset } from '../../../client/data/index.js';
import { applyStyle } from '../../../client/data/styles.js';

describe('loadDataset', () => {
  it('loads the synthetic dataset from its spec', async () => {
    const d = await loadDataset({ name: 'synthetic', perClass: 12, imageSize: 10 });
    expect(d.train).toMatchObject({ count: 120, height: 10, width: 10 });
  });

  it('applies limits stratified and reproducibly', async () => {
    const spec = { name: 'synthetic' as const, perClass: 50, trainLimit: 103, testLimit: 20 };
    const a = await loadDataset(spec);
    const b = await loadDataset(spec);
    expect(a.train.count).toBe(103);
    expect(a.test.count).toBe(20);
    const counts = new Array(10).fill(0);
    for (const l of a.train.labels) counts[l]++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(a.train.images).toEqual(b.train.images);
  });

  it('keeps a set untouched when the limit is not below its size', async () => {
    const d = await loadDataset({ name: 'synthetic', perClass: 5 });
    expect(limitStratified(d.train, 50, 'train')).toBe(d.train);
    expect(limitStratified(d.train, 1000, 'train')).toBe(d.train);
  });

  it('rejects unknown datasets naming the field', async () => {
    await expect(loadDataset({ name: 'cifar' } as never)).rejects.toThrow(/^dataset\.name: unknown dataset "cifar"/);
  });
});

describe('selectChunks', () => {
  it('gathers the chosen chunks in order with styles applied', async () => {
    const dataset = await loadDataset({ name: 'synthetic', perClass: 10, imageSize: 8 });
    const plan = planStream(dataset, { type: 'domain', chunks: 4 }, 3);
    const picked = selectChunks(dataset, plan, [2, 0]);
    const [c2, c0] = [plan.chunks[2], plan.chunks[0]];
    expect(c2.style).toBe('edges');
    expect(picked.count).toBe(c2.indices.length + c0.indices.length);
    const edges = subset(dataset.train, c2.indices);
    expect(picked.images.subarray(0, edges.images.length)).toEqual(applyStyle('edges', edges.images, edges));
    expect(picked.images.subarray(edges.images.length)).toEqual(subset(dataset.train, c0.indices).images);
    expect(Array.from(picked.labels)).toEqual([...Array.from(c2.indices, (i) => dataset.train.labels[i]), ...Array.from(c0.indices, (i) => dataset.train.labels[i])]);
  });

  it('gathers into shared memory, which the input pipeline reads without copying', async () => {
    const dataset = await loadDataset({ name: 'synthetic', perClass: 10, imageSize: 8 });
    const plan = planStream(dataset, { type: 'instance', chunks: 2 }, 3);
    for (const ids of [[1], [0, 1]]) {
      const picked = selectChunks(dataset, plan, ids);
      expect(sharedBufferOf(picked.images)).not.toBeNull();
      expect(Buffer.from(picked.images).equals(Buffer.concat(ids.map((id) => subset(dataset.train, plan.chunks[id].indices).images)))).toBe(true);
    }
  });

  it('uses the dataset superclasses for the distant-class stream', async () => {
    const { plan, train } = await loadSelection({
      dataset: { name: 'synthetic', perClass: 6 },
      stream: { type: 'distant-class', chunks: 4 },
      seed: 1,
      chunks: [0, 1, 2, 3],
    });
    expect(plan.chunks.map((c) => c.classes.join()).sort()).toEqual(['0,1', '2,3,9', '4,5', '6,7,8']);
    expect(train.count).toBe(60);
  });

  it('takes samples of chunks as subset of the chunks gathered would, styles included', async () => {
    const dataset = await loadDataset({ name: 'synthetic', perClass: 10, imageSize: 8 });
    const plan = planStream(dataset, { type: 'domain', chunks: 4 }, 3);
    const ids = [3, 1, 0, 2];
    const gathered = selectChunks(dataset, plan, ids);
    fc.assert(
      fc.property(fc.array(fc.nat(gathered.count - 1), { maxLength: 60 }), (positions) => {
        expect(selectChunkSamples(dataset, plan, ids, positions)).toEqual(subset(gathered, positions));
      }),
    );
    expect(() => selectChunkSamples(dataset, plan, ids, [gathered.count])).toThrow(`chunks: sample position ${gathered.count} out of range 0..${gathered.count - 1}`);
    expect(() => selectChunkSamples(dataset, plan, ids, [1.5])).toThrow('chunks: sample position 1.5 out of range');
    expect(() => selectChunkSamples(dataset, plan, [0, 0], [0])).toThrow('chunks: chunk 0 selected twice');
  });

  it('rejects unknown or repeated chunk ids', async () => {
    const dataset = await loadDataset({ name: 'synthetic', perClass: 4 });
    const plan = planStream(dataset, { type: 'instance', chunks: 2 }, 0);
    expect(() => selectChunks(dataset, plan, [2])).toThrow('chunks: no chunk 2 in a stream of 2 chunks');
    expect(() => selectChunks(dataset, plan, [1, 1])).toThrow('chunks: chunk 1 selected twice');
  });
});
