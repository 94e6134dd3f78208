/**
 * The ceiling of a thread count's speed-up on this machine: `n` one-thread copies of a
 * MoCo row, each in its own process, all at once. Nothing is shared between them but the
 * machine (caches, memory bandwidth, the hypervisor's scheduling), so their summed img/s
 * over one copy alone is the most `n` threads can give a step whose work splits
 * perfectly. A two-thread row is judged against it (`ThreadScaling.copiesRatios`).
 *
 * Each copy sizes its timed loop from its own warm-up, so the loops start and end at
 * slightly different times; `overlap` says how much of the longest loop had every copy
 * in its loop (a copy running alone at the ends would flatter the sum).
 */
import type { CopiesResult, MocoResult } from './report-types.js';

/** When a measurement's timed steps ran, in ms since the epoch. */
export interface TimedWindow {
  timedFromMs?: number;
  timedToMs?: number;
}

/** Share of the longest window during which all windows were open: 0 when two never met. */
export function windowOverlap(windows: readonly TimedWindow[]): number {
  if (windows.length === 0) throw new Error('windowOverlap: no windows');
  const spans = windows.map((w, i) => {
    if (w.timedFromMs === undefined || w.timedToMs === undefined || !(w.timedToMs >= w.timedFromMs)) {
      throw new Error(`windowOverlap: copy ${i + 1} reported no timed window (from ${w.timedFromMs}, to ${w.timedToMs})`);
    }
    return [w.timedFromMs, w.timedToMs] as const;
  });
  const longest = Math.max(...spans.map(([from, to]) => to - from));
  if (longest === 0) return 1;
  const shared = Math.min(...spans.map(([, to]) => to)) - Math.max(...spans.map(([from]) => from));
  return Math.max(0, shared) / longest;
}

/**
 * Starts `count` measurements at once; their results in order, or the first failure once
 * every one has settled (not Promise.all: a failed copy must not leave the others running
 * unowned).
 */
export async function allAtOnce<T>(count: number, start: () => Promise<T>): Promise<T[]> {
  const settled = await Promise.allSettled(Array.from({ length: count }, start));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Runs `copies` one-thread measurements of `config` at once; `measure` starts one (a child process). */
export async function measureCopies(
  config: string,
  copies: number,
  round: number,
  measure: (config: string) => Promise<MocoResult>,
): Promise<CopiesResult> {
  if (!Number.isInteger(copies) || copies < 2) throw new Error(`measureCopies: expected at least 2 copies, got ${copies}`);
  const results = await allAtOnce(copies, () => measure(config));
  const imgPerSec = results.map((r) => r.imgPerSec);
  return {
    config,
    round,
    imgPerSec,
    totalImgPerSec: imgPerSec.reduce((a, b) => a + b, 0),
    overlap: windowOverlap(results),
  };
}
