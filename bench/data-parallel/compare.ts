/**
 * The data-parallel comparison's table (../data-parallel.ts): each way of running a
 * step, its ms a step as the lower median over pairs of alternating order, images a
 * second, and its gain over the first way, with each pair's gains beside it.
 */
import { lowerMedian } from '../lower-median.js';
import { ratioRange, ratioText } from '../ratio-text.js';

/** How a step runs: the whole batch on `threads` OpenMP threads, or split over `replicas` worker threads. */
export type StepMode = { kind: 'threads'; threads: number } | { kind: 'replicas'; replicas: number };

export interface ModeResult {
  mode: StepMode;
  msPerStep: number;
  /** What it computed on: each replica's, or the process's backend. */
  runs: string[];
}

export interface ModeSummary {
  mode: StepMode;
  msPerStep: number;
  imagesPerSecond: number;
  /** The first mode's ms a step over this one's (1 for the first). */
  gain: number;
  /** The same, pair by pair. */
  pairGains: number[];
  runs: string[];
}

/** `threads:N` or `replicas:N`, as the comparison passes a mode to its processes. */
export function parseMode(text: string): StepMode {
  const m = /^(threads|replicas):(\d+)$/.exec(text);
  const n = m ? Number(m[2]) : 0;
  if (!m || n < 1) throw new Error(`--mode must be threads:N or replicas:N with N >= 1, got "${text}"`);
  return m[1] === 'threads' ? { kind: 'threads', threads: n } : { kind: 'replicas', replicas: n };
}

/** The text `parseMode` reads. */
export const modeArg = (m: StepMode): string => (m.kind === 'threads' ? `threads:${m.threads}` : `replicas:${m.replicas}`);

export function modeLabel(m: StepMode): string {
  if (m.kind === 'threads') return `whole batch, ${m.threads} thread${m.threads === 1 ? '' : 's'}`;
  return `${m.replicas} replicas, batch split`;
}

/** `pairs[p][i]`: mode i's result in pair p (the modes in one order in every pair). */
export function summarizeModes(pairs: ModeResult[][], batchSize: number): ModeSummary[] {
  if (pairs.length === 0) throw new Error('no pairs to summarize');
  const count = pairs[0].length;
  if (pairs.some((p) => p.length !== count)) throw new Error('every pair must hold a result of every mode');
  const base = lowerMedian(pairs.map((p) => p[0].msPerStep));
  return pairs[0].map((first, i) => {
    const msPerStep = lowerMedian(pairs.map((p) => p[i].msPerStep));
    return {
      mode: first.mode,
      msPerStep,
      imagesPerSecond: (batchSize * 1000) / msPerStep,
      gain: base / msPerStep,
      pairGains: pairs.map((p) => p[0].msPerStep / p[i].msPerStep),
      runs: first.runs,
    };
  });
}

export function summaryText(label: string, summaries: ModeSummary[]): string[] {
  return [
    `${label}: ms a step (lower median of ${summaries[0].pairGains.length} alternating pairs), images/s, gain over the first`,
    ...summaries.map((s, i) => {
      const pairs = i === 0 ? '' : ` (pairs ${s.pairGains.map(ratioText).join(', ')}; ${ratioRange(s.pairGains)})`;
      return `  ${modeLabel(s.mode).padEnd(28)} ${s.msPerStep.toFixed(1).padStart(8)} ms ${s.imagesPerSecond.toFixed(1).padStart(8)} img/s ${ratioText(s.gain).padStart(7)}${pairs}; ${[...new Set(s.runs)].join(' / ')}`;
    }),
  ];
}
