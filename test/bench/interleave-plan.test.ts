/** Interleaved thread scaling's arithmetic (bench/interleave-plan.ts): the slices of a cycle, their order, the ratios and medians. */
import { describe, expect, it } from 'vitest';
import { copiesOf, cycleOrder, cycleSlices, summarize, summarizeVariant } from '../../bench/interleave-plan.js';
import { lowerMedian, lowerMedianBy } from '../../bench/lower-median.js';
import type { CycleResult } from '../../bench/report-types.js';

describe('cycleSlices and cycleOrder', () => {
  it('holds each thread count, PyTorch at each, and the copies beside each count above a base of 1', () => {
    expect(cycleSlices({ threads: [1, 2, 4], torch: true, copies: true })).toEqual([
      { kind: 'ours', threads: 1 }, { kind: 'ours', threads: 2 }, { kind: 'ours', threads: 4 },
      { kind: 'torch', threads: 1 }, { kind: 'torch', threads: 2 }, { kind: 'torch', threads: 4 },
      { kind: 'copies', copies: 2 }, { kind: 'copies', copies: 4 },
    ]);
    expect(cycleSlices({ threads: [1, 2], torch: false, copies: false })).toEqual([{ kind: 'ours', threads: 1 }, { kind: 'ours', threads: 2 }]);
    // Copies stand for the ceiling over one thread: none over a base of 2.
    expect(cycleSlices({ threads: [2, 4], torch: false, copies: true })).toEqual([{ kind: 'ours', threads: 2 }, { kind: 'ours', threads: 4 }]);
  });

  it('puts each thread count\'s variant right after its plain process', () => {
    expect(cycleSlices({ threads: [1, 2], torch: false, copies: true, variant: true })).toEqual([
      { kind: 'ours', threads: 1 }, { kind: 'variant', threads: 1 }, { kind: 'ours', threads: 2 }, { kind: 'variant', threads: 2 },
      { kind: 'copies', copies: 2 },
    ]);
  });

  it('alternates forward and backward, so a steady drift favours no slice', () => {
    const slices = cycleSlices({ threads: [1, 2], torch: false, copies: true });
    expect(cycleOrder(slices, 0)).toEqual(slices);
    expect(cycleOrder(slices, 1)).toEqual([...slices].reverse());
    expect(cycleOrder(slices, 2)).toEqual(slices);
    // Under a drift that slows the machine slice by slice, the two orders' mean positions are equal.
    const position = (s: (typeof slices)[number], cycle: number) => cycleOrder(slices, cycle).indexOf(s);
    for (const s of slices) expect(position(s, 0) + position(s, 1)).toBe(slices.length - 1);
  });
});

describe('lowerMedian', () => {
  it('is the middle value, or the lower middle of an even count', () => {
    expect(lowerMedian([3, 1, 2])).toBe(2);
    expect(lowerMedian([4, 1, 3, 2])).toBe(2);
    expect(lowerMedian([5])).toBe(5);
    expect(() => lowerMedian([])).toThrow(/no values/);
  });

  it('picks the item itself by a key (a measured row, not a blend of two)', () => {
    const rows = [{ id: 'a', v: 9 }, { id: 'b', v: 3 }, { id: 'c', v: 5 }, { id: 'd', v: 7 }];
    expect(lowerMedianBy(rows, (r) => r.v)).toBe(rows[2]);
    expect(lowerMedianBy(rows.slice(0, 3), (r) => -r.v)).toBe(rows[2]);
  });
});

describe('copiesOf', () => {
  it("keeps each copy's pace and how far their slices overlapped", () => {
    expect(copiesOf([
      { steps: 4, fromMs: 1000, toMs: 2000, imgPerSec: 64 },
      { steps: 4, fromMs: 1100, toMs: 2000, imgPerSec: 70 },
    ])).toEqual({ imgPerSec: [64, 70], overlap: 0.9 });
  });
});

describe('summarize', () => {
  const cycles: CycleResult[] = [
    { ours: { 1: 100, 2: 170 }, torch: { 1: 50, 2: 80 }, copies: { 2: { imgPerSec: [90, 92], overlap: 0.95 } } },
    { ours: { 1: 80, 2: 150 }, torch: { 1: 40, 2: 70 }, copies: { 2: { imgPerSec: [75, 77], overlap: 0.9 } } },
    { ours: { 1: 120, 2: 180 }, torch: { 1: 60, 2: 90 }, copies: { 2: { imgPerSec: [110, 100], overlap: 1 } } },
  ];

  it('takes every ratio within a cycle and reports the median over cycles', () => {
    const [s] = summarize('small', [1, 2], 2, cycles);
    expect(s).toMatchObject({ config: 'small', threads: 2, baseThreads: 1, cycles: 3, sliceSeconds: 2 });
    expect(s.ratios).toEqual([1.7, 150 / 80, 1.5]);
    expect(s.torchRatios).toEqual([1.6, 1.75, 1.5]);
    expect(s.copiesRatios).toEqual([1.82, 152 / 80, 210 / 120]);
    expect(s.ofCopies!.map((x) => +x.toFixed(6))).toEqual([1.7 / 1.82, 150 / 152, 1.5 / 1.75].map((x) => +x.toFixed(6)));
    expect(s.copiesOverlap).toEqual([0.95, 0.9, 1]);
    expect(s.median).toEqual({ ratio: 1.7, torch: 1.6, copies: 1.82, ofCopies: lowerMedian(s.ofCopies!) });
    expect(s.perCycle).toEqual(cycles);
  });

  it('leaves out what a cycle did not measure', () => {
    const [s] = summarize('tiny', [1, 2], 1, cycles.map((c) => ({ ours: c.ours })));
    expect(s.torchRatios).toBeUndefined();
    expect(s.copiesRatios).toBeUndefined();
    expect(s.median).toEqual({ ratio: 1.7 });
  });

  it('gives one entry per thread count above the base', () => {
    const s = summarize('tiny', [1, 2, 4], 1, [{ ours: { 1: 10, 2: 18, 4: 30 } }]);
    expect(s.map((x) => [x.threads, x.ratios])).toEqual([[2, [1.8]], [4, [3]]]);
    expect(() => summarize('tiny', [1, 2], 1, [])).toThrow(/no cycles/);
  });
});

describe('summarizeVariant', () => {
  it('takes the variant over the plain process of its thread count, cycle by cycle', () => {
    const cycles = [
      { ours: { 1: 100, 2: 160 }, variant: { 1: 50, 2: 176 } },
      { ours: { 1: 80, 2: 150 }, variant: { 1: 44, 2: 150 } },
      { ours: { 1: 120, 2: 180 }, variant: { 1: 54, 2: 171 } },
    ];
    expect(summarizeVariant('small', { STREAMSSL_ONEDNN: '0' }, [1, 2], cycles)).toEqual([
      { config: 'small', env: { STREAMSSL_ONEDNN: '0' }, threads: 1, ratios: [0.5, 0.55, 0.45], median: 0.5 },
      { config: 'small', env: { STREAMSSL_ONEDNN: '0' }, threads: 2, ratios: [1.1, 1, 0.95], median: 1 },
    ]);
  });

  it('refuses cycles without the variant, naming the cycle', () => {
    expect(() => summarizeVariant('tiny', { A: '1' }, [1], [{ ours: { 1: 1 }, variant: { 1: 1 } }, { ours: { 1: 1 } }])).toThrow(/cycle 2 has no variant slice on 1 thread/);
    expect(() => summarizeVariant('tiny', { A: '1' }, [1], [])).toThrow(/no cycles/);
  });
});
