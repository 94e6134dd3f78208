/** One-thread copies of a MoCo row at once (bench/moco-copies.ts): their sum, and how far their timed loops overlapped. */
import { describe, expect, it } from 'vitest';
import { measureCopies, windowOverlap } from '../../bench/moco-copies.js';
import type { MocoResult } from '../../bench/report-types.js';

const timed = (imgPerSec: number, timedFromMs: number, timedToMs: number) => ({ imgPerSec, timedFromMs, timedToMs }) as unknown as MocoResult;

describe('windowOverlap', () => {
  it('is the share of the longest window that every window covers', () => {
    expect(windowOverlap([{ timedFromMs: 0, timedToMs: 100 }, { timedFromMs: 0, timedToMs: 100 }])).toBe(1);
    expect(windowOverlap([{ timedFromMs: 0, timedToMs: 100 }, { timedFromMs: 10, timedToMs: 90 }])).toBeCloseTo(0.8, 12);
    expect(windowOverlap([{ timedFromMs: 0, timedToMs: 100 }, { timedFromMs: 50, timedToMs: 200 }])).toBeCloseTo(50 / 150, 12);
    expect(windowOverlap([{ timedFromMs: 0, timedToMs: 100 }, { timedFromMs: 20, timedToMs: 100 }, { timedFromMs: 0, timedToMs: 60 }])).toBeCloseTo(0.4, 12);
    expect(windowOverlap([{ timedFromMs: 0, timedToMs: 10 }, { timedFromMs: 30, timedToMs: 40 }])).toBe(0);
    expect(windowOverlap([{ timedFromMs: 5, timedToMs: 5 }])).toBe(1);
  });

  it('refuses a copy without a timed window, naming it', () => {
    expect(() => windowOverlap([{ timedFromMs: 0, timedToMs: 1 }, {}])).toThrow(/copy 2 reported no timed window/);
    expect(() => windowOverlap([{ timedFromMs: 9, timedToMs: 1 }])).toThrow(/copy 1/);
    expect(() => windowOverlap([])).toThrow(/no windows/);
  });
});

describe('measureCopies', () => {
  it('starts every copy before any finishes, and sums their throughput', async () => {
    let running = 0;
    let most = 0;
    const measure = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return timed(100 + most, 0, 1000);
    };
    const c = await measureCopies('small', 3, 2, measure);
    expect(most).toBe(3);
    expect(c).toEqual({ config: 'small', round: 2, imgPerSec: [103, 103, 103], totalImgPerSec: 309, overlap: 1 });
  });

  it('waits for every copy before it reports one that failed', async () => {
    let started = 0;
    let finished = 0;
    const measure = async (config: string) => {
      const first = started++ === 0;
      // The first fails at once; the second is still running then.
      await new Promise((r) => setTimeout(r, first ? 5 : 60));
      finished++;
      if (first) throw new Error(`copy of ${config} failed`);
      return timed(1, 0, 1);
    };
    await expect(measureCopies('tiny', 2, 0, measure)).rejects.toThrow(/copy of tiny failed/);
    expect(finished).toBe(2);
  });

  it('refuses fewer than two copies', async () => {
    await expect(measureCopies('tiny', 1, 0, async () => timed(1, 0, 1))).rejects.toThrow(/at least 2 copies, got 1/);
  });
});
