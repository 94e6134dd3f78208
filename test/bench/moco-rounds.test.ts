/** Rows measured over several rounds (bench/moco-rounds.ts): the median round per row, and thread scaling within each round. */
import { describe, expect, it } from 'vitest';
import { medianRows, threadScaling } from '../../bench/moco-rounds.js';
import type { MocoResult } from '../../bench/report-types.js';

/** A row with only the fields the rounds read; the rest is carried along unread. */
const row = (config: string, threads: number, imgPerSec: number, torch?: number): MocoResult =>
  ({ config, threads, imgPerSec, steps: imgPerSec, ...(torch ? { torch: { imgPerSec: torch } } : {}) }) as unknown as MocoResult;

describe('MoCo rows over rounds', () => {
  const rounds = [
    [row('small', 1, 300, 100), row('small', 2, 450, 150), row('resnet18', 1, 30, 20), row('resnet18', 2, 50, 40)],
    [row('small', 1, 360, 120), row('small', 2, 400, 180), row('resnet18', 1, 40, 20), row('resnet18', 2, 60, 30)],
    [row('small', 1, 330, 110), row('small', 2, 500, 220), row('resnet18', 1, 20, 10), row('resnet18', 2, 50, 20)],
  ];

  it('reports each row as its median round, with every round in order', () => {
    const rows = medianRows(rounds);
    expect(rows.map((r) => [r.config, r.threads, r.imgPerSec, r.steps])).toEqual([
      ['small', 1, 330, 330], ['small', 2, 450, 450], ['resnet18', 1, 30, 30], ['resnet18', 2, 50, 50],
    ]);
    expect(rows[1].rounds).toEqual([{ imgPerSec: 450, torchImgPerSec: 150 }, { imgPerSec: 400, torchImgPerSec: 180 }, { imgPerSec: 500, torchImgPerSec: 220 }]);
    // Two rounds: the lower median.
    expect(medianRows(rounds.slice(0, 2)).map((r) => r.imgPerSec)).toEqual([300, 400, 30, 50]);
    // One round: the rows as measured.
    expect(medianRows(rounds.slice(0, 1))).toBe(rounds[0]);
  });

  it('compares each thread count with the first within each round, not across rounds', () => {
    expect(threadScaling(rounds)).toEqual([
      { config: 'small', threads: 2, baseThreads: 1, ratios: [1.5, 400 / 360, 500 / 330], torchRatios: [1.5, 1.5, 2] },
      { config: 'resnet18', threads: 2, baseThreads: 1, ratios: [50 / 30, 1.5, 2.5], torchRatios: [2, 1.5, 2] },
    ]);
    const noTorch = rounds.map((r) => r.map((x) => ({ ...x, torch: undefined })));
    expect(threadScaling(noTorch)[0]).not.toHaveProperty('torchRatios');
  });

  it("judges each thread count against as many one-thread copies at once, in the same round", () => {
    const copies = [0, 1, 2].map((round) => ({ config: 'small', round, imgPerSec: [200 + round, 190], totalImgPerSec: 390 + round * 10, overlap: 0.98 }));
    const [small, resnet] = threadScaling(rounds, copies);
    expect(small.copiesRatios).toEqual([390 / 300, 400 / 360, 410 / 330]);
    expect(resnet).not.toHaveProperty('copiesRatios'); // none measured for it
    // A round without its copies, or copies of another count, give no ratios rather than misplaced ones.
    expect(threadScaling(rounds, copies.slice(0, 2))[0]).not.toHaveProperty('copiesRatios');
    expect(threadScaling(rounds, copies.map((c) => ({ ...c, imgPerSec: [1, 2, 3] })))[0]).not.toHaveProperty('copiesRatios');
    // Copies are one-thread processes: against a first count of 2 they mean nothing.
    const fromTwo = rounds.map((r) => r.map((x) => ({ ...x, threads: x.threads * 2 })));
    expect(threadScaling(fromTwo, copies.map((c) => ({ ...c, imgPerSec: [1, 2, 3, 4] })))[0]).not.toHaveProperty('copiesRatios');
  });

  it('refuses a round that misses a row', () => {
    expect(() => medianRows([rounds[0], rounds[1].slice(1)])).toThrow(/round without a small\/1 row/);
  });
});
