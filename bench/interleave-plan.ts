/**
 * Interleaved thread scaling, the arithmetic (the processes are ./interleave.ts). The
 * machine's speed drifts by a quarter within minutes, so a speed-up taken from two
 * measurements a minute apart says as much about the drift as about the threads. Here
 * every measurement is a short slice of steps of a process kept warm, and one cycle
 * holds one slice of each: each thread count alone, PyTorch's at each thread count,
 * and n one-thread copies at once. A cycle's ratios come from seconds that neighbour
 * each other; cycles alternate their order (forward, then backward), so a steady drift
 * favours no slice; the figure is the median over cycles, reported with its spread.
 * With a variant (an environment, e.g. a libgomp setting or the addon turned off), each
 * thread count also has a slice of a process started with it, compared with the plain
 * process of that count in the same cycle.
 */
import { lowerMedian } from './lower-median.js';
import { windowOverlap } from './moco-copies.js';
import type { CycleResult, InterleavedScaling, InterleavedVariant } from './report-types.js';
import type { SliceResult } from './slice-protocol.js';

/** One slice of a cycle. */
export type Slice =
  | { kind: 'ours'; threads: number }
  | { kind: 'torch'; threads: number }
  /** Ours started with the variant's environment. */
  | { kind: 'variant'; threads: number }
  /** `copies` one-thread processes of ours at once. */
  | { kind: 'copies'; copies: number };

export interface PlanOptions {
  /** Thread counts; the first is the base the others are compared with. */
  threads: readonly number[];
  torch: boolean;
  /** Copies beside each count n above a base of 1. */
  copies: boolean;
  /** A slice of the variant's process at each thread count. */
  variant?: boolean;
}

/** A cycle's slices in their first order (cycle 0): ours (each beside its variant), PyTorch's, then the copies. */
export function cycleSlices(o: PlanOptions): Slice[] {
  const slices: Slice[] = o.threads.flatMap((threads): Slice[] => [{ kind: 'ours', threads }, ...(o.variant ? [{ kind: 'variant' as const, threads }] : [])]);
  if (o.torch) slices.push(...o.threads.map((threads): Slice => ({ kind: 'torch', threads })));
  if (o.copies && o.threads[0] === 1) slices.push(...o.threads.filter((t) => t > 1).map((copies): Slice => ({ kind: 'copies', copies })));
  return slices;
}

/** Cycle `cycle`'s order: the first order on even cycles, reversed on odd ones. */
export function cycleOrder(slices: readonly Slice[], cycle: number): Slice[] {
  return cycle % 2 === 0 ? [...slices] : [...slices].reverse();
}

/** The copies' part of a cycle from their slices. */
export function copiesOf(results: readonly SliceResult[]): { imgPerSec: number[]; overlap: number } {
  return {
    imgPerSec: results.map((r) => r.imgPerSec),
    overlap: windowOverlap(results.map((r) => ({ timedFromMs: r.fromMs, timedToMs: r.toMs }))),
  };
}

/** An environment as one would type it: `A=1 B=2`. */
export const envLabel = (env: Readonly<Record<string, string>>): string => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');

/** Each thread count above the base against it, from the cycles' results. */
export function summarize(config: string, threads: readonly number[], sliceSeconds: number, cycles: readonly CycleResult[]): InterleavedScaling[] {
  if (cycles.length === 0) throw new Error('summarize: no cycles');
  const base = threads[0];
  return threads.slice(1).map((n) => {
    const ratios = cycles.map((c) => c.ours[n] / c.ours[base]);
    const torchRatios = cycles.every((c) => c.torch) ? cycles.map((c) => c.torch![n] / c.torch![base]) : undefined;
    const copies = base === 1 && cycles.every((c) => c.copies?.[n]) ? cycles.map((c) => c.copies![n]) : undefined;
    const copiesRatios = copies?.map((c, i) => c.imgPerSec.reduce((a, b) => a + b, 0) / cycles[i].ours[base]);
    const ofCopies = copiesRatios?.map((c, i) => ratios[i] / c);
    return {
      config,
      threads: n,
      baseThreads: base,
      cycles: cycles.length,
      sliceSeconds,
      ratios,
      ...(torchRatios ? { torchRatios } : {}),
      ...(copiesRatios ? { copiesRatios, ofCopies, copiesOverlap: copies!.map((c) => c.overlap) } : {}),
      median: {
        ratio: lowerMedian(ratios),
        ...(torchRatios ? { torch: lowerMedian(torchRatios) } : {}),
        ...(copiesRatios ? { copies: lowerMedian(copiesRatios), ofCopies: lowerMedian(ofCopies!) } : {}),
      },
      perCycle: [...cycles],
    };
  });
}

/** The variant against the plain process, at each thread count, from the cycles' results. */
export function summarizeVariant(config: string, env: Readonly<Record<string, string>>, threads: readonly number[], cycles: readonly CycleResult[]): InterleavedVariant[] {
  if (cycles.length === 0) throw new Error('summarizeVariant: no cycles');
  return threads.map((t) => {
    const ratios = cycles.map((c, i) => {
      const v = c.variant?.[t];
      if (v === undefined) throw new Error(`summarizeVariant: cycle ${i + 1} has no variant slice on ${t} thread(s)`);
      return v / c.ours[t];
    });
    return { config, env: { ...env }, threads: t, ratios, median: lowerMedian(ratios) };
  });
}
