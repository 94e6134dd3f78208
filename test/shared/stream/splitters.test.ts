import { describe, expect, it } from 'vitest';
import { STREAM_TYPES, type StreamSpec, type StreamType } from '../../../shared/scenario.js';
import { SPLITTERS, splitStream } from '../../../shared/stream/index.js';
import { expectPartition, makeLabels, planKey } from './helpers.js';

const labels = makeLabels(10, 50);
const groups = [[0, 2, 4, 6], [1, 3], [5, 7, 9], [8]];

/** The fields a stream type needs beyond type and chunks. */
const needs: Partial<Record<StreamType, Partial<StreamSpec>>> = { dirichlet: { alpha: 1 } };

describe.each(STREAM_TYPES)('%s stream', (type) => {
  const spec: StreamSpec = { type, chunks: 3, ...needs[type] };
  const split = (seed: number, s: StreamSpec = spec) => splitStream(s, labels, 10, seed, groups);

  it('is registered', () => {
    expect(typeof SPLITTERS[type]).toBe('function');
  });

  it('puts every sample in exactly one chunk', () => {
    const plan = split(1);
    expect(plan.chunks).toHaveLength(3);
    expectPartition(plan, labels);
  });

  it('is seeded: same seed same split, other seeds differ', () => {
    expect(planKey(split(1))).toBe(planKey(split(1)));
    const keys = new Set([0, 1, 2, 3, 4, 5].map((seed) => planKey(split(seed))));
    expect(keys.size).toBeGreaterThan(1);
  });

  it('allows a single chunk holding everything', () => {
    const plan = split(4, { ...spec, chunks: 1 });
    expect(plan.chunks[0].indices.length).toBe(labels.length);
  });
});

describe('sample streams (instance, domain)', () => {
  it.each(['instance', 'domain'] as const)('%s: chunks are near-equal and differ between seeds', (type) => {
    const plan = splitStream({ type, chunks: 7 }, labels, 10, 3);
    const sizes = plan.chunks.map((c) => c.indices.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    const other = splitStream({ type, chunks: 7 }, labels, 10, 4);
    expect(planKey(other)).not.toBe(planKey(plan));
  });

  it('instance and domain streams use unrelated orders', () => {
    const a = splitStream({ type: 'instance', chunks: 2 }, labels, 10, 3);
    const b = splitStream({ type: 'domain', chunks: 2 }, labels, 10, 3);
    expect(Array.from(a.chunks[0].indices)).not.toEqual(Array.from(b.chunks[0].indices));
  });

  it('domain chunks cycle styles by default and take declared ones', () => {
    expect(splitStream({ type: 'domain', chunks: 5 }, labels, 10, 0).chunks.map((c) => c.style)).toEqual(['original', 'inverted', 'edges', 'blurred', 'original']);
    const styles = ['edges', 'edges', 'inverted'] as const;
    expect(splitStream({ type: 'domain', chunks: 3, styles: [...styles] }, labels, 10, 0).chunks.map((c) => c.style)).toEqual([...styles]);
    expect(splitStream({ type: 'instance', chunks: 3 }, labels, 10, 0).chunks.every((c) => c.style === 'original')).toBe(true);
  });
});

describe('random-class stream', () => {
  it('gives chunks disjoint class sets covering all classes, as even as possible', () => {
    const plan = splitStream({ type: 'random-class', chunks: 4 }, labels, 10, 11);
    expectPartition(plan, labels);
    const all = plan.chunks.flatMap((c) => c.classes);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(plan.chunks.map((c) => c.classes.length).sort()).toEqual([2, 2, 3, 3]);
  });

  it('shuffles classes with the seed', () => {
    const classesOf = (seed: number) => JSON.stringify(splitStream({ type: 'random-class', chunks: 5 }, labels, 10, seed).chunks.map((c) => c.classes));
    expect(classesOf(1)).toBe(classesOf(1));
    expect(classesOf(1)).not.toBe(classesOf(2));
  });

  it('allows one class per chunk', () => {
    const plan = splitStream({ type: 'random-class', chunks: 10 }, labels, 10, 0);
    expect(plan.chunks.every((c) => c.classes.length === 1 && c.indices.length === 50)).toBe(true);
  });
});

describe('stream.sizes on the instance stream', () => {
  it('cuts chunks of the weighted sizes, each at least one sample, and keeps the even split without it', () => {
    const sizesOf = (sizes?: StreamSpec['sizes']) => splitStream({ type: 'instance', chunks: 3, ...(sizes ? { sizes } : {}) }, labels, 10, 1).chunks.map((c) => c.indices.length);
    expect(sizesOf()).toEqual([167, 167, 166]);
    expect(sizesOf([1, 1, 1])).toEqual([167, 167, 166]);
    // one sample each, then 497 as 3 : 1 : 0 = 372.75, 124.25, 0 (the larger remainder gets the last)
    expect(sizesOf([3, 1, 1e-9])).toEqual([374, 125, 1]);
    // power 2: one sample each, then 497 as 1 : 1/4 : 1/9 = 365.14, 91.29, 40.57
    expect(sizesOf({ type: 'power', exponent: 2 })).toEqual([366, 92, 42]);
    expectPartition(splitStream({ type: 'instance', chunks: 3, sizes: [3, 1, 1] }, labels, 10, 1), labels);
  });
});
