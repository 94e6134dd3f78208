/**
 * The Dirichlet stream (Hsu et al. 2019): an exact partition whose chunks' class mixes
 * follow Dir(alpha), seeded, with chunk sizes from `stream.sizes`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamSpec } from '../../../shared/scenario.js';
import { chunkSizes, splitStream, type StreamPlan } from '../../../shared/stream/index.js';
import { expectPartition, makeLabels, planKey } from './helpers.js';

const labels = makeLabels(10, 200);
const dirichlet = (alpha: number, chunks: number, more: Partial<StreamSpec> = {}): StreamSpec => ({ type: 'dirichlet', chunks, alpha, ...more });

/** Each chunk's class shares, sorted from the largest. */
function shares(plan: StreamPlan): number[][] {
  return plan.chunks.map((c) => c.classCounts!.map((n) => n / c.indices.length).sort((a, b) => b - a));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('dirichlet stream', () => {
  it('is an exact partition whose classCounts are the chunks’ real class histograms', () => {
    for (const alpha of [0.01, 0.1, 1, 100]) {
      const plan = splitStream(dirichlet(alpha, 7), labels, 10, 5);
      expectPartition(plan, labels);
      for (const chunk of plan.chunks) {
        const histogram = new Array<number>(10).fill(0);
        for (const i of chunk.indices) histogram[labels[i]]++;
        expect(chunk.classCounts).toEqual(histogram);
        expect(chunk.classes).toEqual(histogram.flatMap((n, c) => (n > 0 ? [c] : [])));
        expect(chunk.style).toBe('original');
      }
    }
  });

  it('is reproducible from the seed and differs for another seed or alpha', () => {
    const key = (seed: number, alpha = 0.5) => planKey(splitStream(dirichlet(alpha, 5), labels, 10, seed));
    expect(key(3)).toBe(key(3));
    expect(key(4)).not.toBe(key(3));
    expect(key(3, 5)).not.toBe(key(3));
  });

  it('alpha 0.1: most chunks are dominated by few classes', () => {
    const tops: number[] = [];
    const topTwo: number[] = [];
    for (const seed of [1, 2, 3]) {
      for (const s of shares(splitStream(dirichlet(0.1, 20), labels, 10, seed))) {
        tops.push(s[0]);
        topTwo.push(s[0] + s[1]);
      }
    }
    expect(mean(tops)).toBeGreaterThan(0.5);
    expect(topTwo.filter((t) => t > 0.8).length).toBeGreaterThan(topTwo.length / 2);
  });

  it('alpha 100: every chunk’s class shares are close to uniform', () => {
    for (const seed of [1, 2, 3]) {
      for (const s of shares(splitStream(dirichlet(100, 10), labels, 10, seed))) {
        expect(s[0]).toBeLessThan(0.16);
        expect(s[9]).toBeGreaterThan(0.04);
      }
    }
  });

  it('skews less as alpha grows', () => {
    const topShare = (alpha: number) => mean([1, 2].flatMap((seed) => shares(splitStream(dirichlet(alpha, 20), labels, 10, seed)).map((s) => s[0])));
    const tops = [0.05, 0.5, 5, 50].map(topShare);
    for (let k = 1; k < tops.length; k++) expect(tops[k]).toBeLessThan(tops[k - 1]);
  });

  it('gives near-equal chunk sizes by default, and the sizes of stream.sizes when set', () => {
    const sizesOf = (spec: StreamSpec) => splitStream(spec, labels, 10, 2).chunks.map((c) => c.indices.length);
    expect(sizesOf(dirichlet(0.1, 3))).toEqual([667, 667, 666]);
    expect(sizesOf(dirichlet(0.1, 4, { sizes: [1, 1, 2, 4] }))).toEqual([251, 250, 500, 999]);
    const power = sizesOf(dirichlet(1, 4, { sizes: { type: 'power', exponent: 1 } }));
    // One sample each, then 1996 shared as 1 : 1/2 : 1/3 : 1/4 = 958.08, 479.04, 319.36, 239.52.
    expect(power).toEqual([959, 480, 320, 241]);
    expect(power.reduce((a, b) => a + b, 0)).toBe(2000);
  });

  it('never leaves a chunk empty, even with tiny shares and as many chunks as samples', () => {
    const few = makeLabels(3, 4);
    const plan = splitStream(dirichlet(0.01, 12, { sizes: { type: 'power', exponent: 3 } }), few, 3, 1);
    expectPartition(plan, few);
    expect(plan.chunks.every((c) => c.indices.length === 1)).toBe(true);
  });

  it('property: any labels, alpha, sizes and seed give an exact partition with the planned sizes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ min: 0, max: 5, minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 12 }),
        fc.double({ min: 0.005, max: 1000, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }),
        fc.nat(),
        (raw, chunks, alpha, exponent, seed) => {
          fc.pre(chunks <= raw.length);
          const spec = dirichlet(alpha, chunks, exponent === undefined ? {} : { sizes: { type: 'power', exponent } });
          const plan = splitStream(spec, raw, 6, seed);
          expectPartition(plan, raw);
          expect(plan.chunks.map((c) => c.indices.length)).toEqual(chunkSizes(spec, raw.length));
        },
      ),
      { seed: 0xd1c1, numRuns: 150 },
    );
  });

  it('names the field of a bad alpha or sizes', () => {
    const split = (spec: StreamSpec) => () => splitStream(spec, labels, 10, 0);
    expect(split({ type: 'dirichlet', chunks: 2 })).toThrow(/^stream\.alpha: the dirichlet stream needs a positive finite alpha, got undefined/);
    expect(split(dirichlet(0, 2))).toThrow(/^stream\.alpha: /);
    expect(split(dirichlet(1, 3, { sizes: [1, 2] }))).toThrow('stream.sizes: needs one weight per chunk (3), got 2');
    expect(split(dirichlet(1, 2, { sizes: [1, -2] }))).toThrow('stream.sizes[1]: expected a positive finite weight, got -2');
    expect(split(dirichlet(1, 2001))).toThrow('stream.chunks: 2001 chunks but only 2000 samples');
  });
});
