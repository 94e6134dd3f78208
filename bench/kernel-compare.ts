/**
 * Per-kernel time at several thread counts, from kernel profiles (./kernel-profile.ts)
 * taken in alternating order, one process per profile: where a second thread gains
 * and where it does not. Pure: the profiles in, the comparison and its text out.
 */
import { lowerMedian } from './lower-median.js';
import { ratioText } from './ratio-text.js';

export interface KernelRow {
  name: string;
  /** Whether the addon's kernel ran it (not tfjs's wasm one). */
  native: boolean;
  callsPerStep: number;
  msPerStep: number;
}

/** One process's profile: what ./kernel-profile.ts prints, as data. */
export interface KernelProfile {
  label: string;
  threads: number;
  steps: number;
  stepMs: number;
  /** Time inside kernels, per step. */
  kernelMs: number;
  kernels: KernelRow[];
}

export interface KernelComparison {
  label: string;
  threads: number[];
  pairs: number;
  /** Per thread count: the lower median over pairs of the step's ms, the kernels' ms and the rest. */
  stepMs: number[];
  kernelMs: number[];
  outsideMs: number[];
  /** Each pair's step ms at the first thread count over each later count's: the later count's gain. */
  stepGains: number[][];
  kernels: { name: string; native: boolean; callsPerStep: number; msPerStep: number[] }[];
}

/** `byPair[p][i]`: pair p's profile at `threads[i]`. Kernels by their lower median ms at the first count, largest first. */
export function compareProfiles(threads: readonly number[], byPair: readonly (readonly KernelProfile[])[]): KernelComparison {
  if (byPair.length === 0) throw new Error('compareProfiles: no profiles');
  for (const [p, profiles] of byPair.entries()) {
    if (profiles.length !== threads.length) throw new Error(`compareProfiles: pair ${p} has ${profiles.length} profiles for ${threads.length} thread counts`);
  }
  const median = (f: (x: KernelProfile) => number) => threads.map((_, i) => lowerMedian(byPair.map((profiles) => f(profiles[i]))));
  const names = new Map<string, { native: boolean; calls: number }>();
  for (const profiles of byPair) for (const pr of profiles) for (const k of pr.kernels) names.set(k.name, { native: k.native, calls: k.callsPerStep });
  const kernels = [...names].map(([name, { native, calls }]) => ({
    name,
    native,
    callsPerStep: calls,
    msPerStep: median((pr) => pr.kernels.find((k) => k.name === name)?.msPerStep ?? 0),
  }));
  kernels.sort((a, b) => b.msPerStep[0] - a.msPerStep[0]);
  const stepMs = median((pr) => pr.stepMs);
  const kernelMs = median((pr) => pr.kernelMs);
  return {
    label: byPair[0][0].label,
    threads: [...threads],
    pairs: byPair.length,
    stepMs,
    kernelMs,
    outsideMs: median((pr) => pr.stepMs - pr.kernelMs),
    stepGains: byPair.map((profiles) => profiles.slice(1).map((pr) => profiles[0].stepMs / pr.stepMs)),
    kernels,
  };
}

const gain = (first: number, other: number): string => (other > 0 ? ratioText(first / other) : '–');

/** The comparison as a table: ms per step at each thread count, and the first count's over each other. */
export function comparisonText(c: KernelComparison): string[] {
  const counts = c.threads.join(' / ');
  const row = (name: string, ms: number[]) =>
    `${name.padEnd(32)} ${ms.map((m) => m.toFixed(2).padStart(8)).join(' ')}  ${ms.slice(1).map((m) => gain(ms[0], m).padStart(6)).join(' ')}`;
  const perPair = c.threads.slice(1).map((t, i) => `${t} threads over ${c.threads[0]}: ${c.stepGains.map((g) => ratioText(g[i])).join(', ')}`);
  return [
    `${c.label}, threads ${counts}: ms a step, lower medians of ${c.pairs} alternating pair${c.pairs === 1 ? '' : 's'}; then each later count's gain (the first's ms over its ms)`,
    `step's gain, pair by pair: ${perPair.join('; ')}`,
    row('step', c.stepMs),
    row('kernels', c.kernelMs),
    row('outside the kernels', c.outsideMs),
    ...c.kernels.map((k) => row(`${k.name} ${k.native ? 'native' : 'wasm'}, ${Math.round(k.callsPerStep)} calls`, k.msPerStep)),
  ];
}
