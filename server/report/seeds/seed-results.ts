/**
 * results.json of a run over several seeds: the first seed's results at the top level
 * (so that readers of a single run find `arms` and `randomInit` where they always were),
 * every seed's arms and random-init floor under `seeds`, and under `statistics` the mean,
 * sample standard deviation and 95% Student-t interval of each arm's final metrics, with
 * the paired differences against the reference (joint) arm and the floor on the same seeds.
 */
import type { Scenario } from '../../../shared/scenario.js';
import { modeOf } from '../../schedule/index.js';
import type { ArmResult, EvalResult, Results } from '../results.js';
import { pairedDifference, summarize, type DifferenceSummary, type SampleSummary } from './statistics.js';

/** The confidence level of every interval over seeds. */
export const SEED_CONFIDENCE = 0.95;

/** One seed's run: its folder (relative to the multi-seed run's) and results. */
export interface SeedRun {
  seed: number;
  dir: string;
  results: Results;
}

/** One seed's results as results.json keeps them. */
export interface SeedEntry {
  seed: number;
  /** Its run folder, relative to this one (journal, checkpoints, report). */
  dir: string;
  randomInit: EvalResult;
  arms: ArmResult[];
}

type Accuracy = 'knnTop1' | 'linearTop1';

/** The metrics summarized over seeds, by name; forgetting ones (linear probe) only for arms that have them. */
export interface MetricSummaries {
  knnTop1: SampleSummary;
  linearTop1: SampleSummary;
  averageAccuracy?: SampleSummary;
  averageForgetting?: SampleSummary;
  backwardTransfer?: SampleSummary;
}

/** Paired differences, this arm minus another on the same seeds. */
export interface PairedSummaries {
  /** The arm (or `random init`) subtracted. */
  against: string;
  /** The seeds on which both finished. */
  seeds: number[];
  knnTop1: DifferenceSummary;
  linearTop1: DifferenceSummary;
}

export interface ArmStatistics {
  name: string;
  mode: ArmResult['mode'];
  strategy: string;
  /** The seeds on which the arm finished; null metrics when none did. */
  seeds: number[];
  metrics: MetricSummaries | null;
  /** Against the reference (joint) arm; absent for the reference itself or when none finished. */
  vsReference?: PairedSummaries;
  /** Against the random-init floor. */
  vsRandomInit?: PairedSummaries;
}

export interface SeedStatistics {
  seeds: number[];
  /** What the seeds varied: `training` (split fixed) or `split` too. */
  seedsVary: 'training' | 'split';
  confidence: number;
  randomInit: { knnTop1: SampleSummary; linearTop1: SampleSummary };
  /** The arm the paired differences are taken against (the first reference arm, e.g. joint). */
  reference: string | null;
  arms: ArmStatistics[];
}

/** The fields a multi-seed run adds to results.json. */
export interface SeedFields {
  seeds: SeedEntry[];
  statistics: SeedStatistics;
}

/** Builds the results of a multi-seed run from its seeds' results, in seed order (the first one at the top level). */
export function buildSeedResults(scenario: Scenario, runs: readonly SeedRun[]): Results & SeedFields {
  if (runs.length === 0) throw new Error('a multi-seed result needs at least one seed');
  const first = runs[0].results;
  const times = runs.map((r) => r.results);
  return {
    ...first,
    scenario,
    startedAt: times.map((r) => r.startedAt).sort()[0],
    finishedAt: times.map((r) => r.finishedAt).sort()[times.length - 1],
    seeds: runs.map((r) => ({ seed: r.seed, dir: r.dir, randomInit: r.results.randomInit, arms: r.results.arms })),
    statistics: seedStatistics(scenario, runs),
  };
}

/** Means, intervals and paired differences over `runs` (each a seed of the same scenario). */
export function seedStatistics(scenario: Pick<Scenario, 'seedsVary'>, runs: readonly SeedRun[]): SeedStatistics {
  const floor = (key: Accuracy) => summarize(runs.map((r) => r.results.randomInit[key]), SEED_CONFIDENCE);
  const names = runs[0].results.arms.map((a) => a.name);
  const reference = runs[0].results.arms.find((a) => modeOf(a).reference)?.name ?? null;
  return {
    seeds: runs.map((r) => r.seed),
    seedsVary: scenario.seedsVary ?? 'training',
    confidence: SEED_CONFIDENCE,
    randomInit: { knnTop1: floor('knnTop1'), linearTop1: floor('linearTop1') },
    reference,
    arms: names.map((name) => armStatistics(name, runs, reference)),
  };
}

function armOf(run: SeedRun, name: string): ArmResult {
  const arm = run.results.arms.find((a) => a.name === name);
  if (!arm) throw new Error(`seed ${run.seed} has no arm ${name}`);
  return arm;
}

function armStatistics(name: string, runs: readonly SeedRun[], reference: string | null): ArmStatistics {
  const arm = armOf(runs[0], name);
  const finished = runs.filter((r) => armOf(r, name).final !== null);
  const base = { name, mode: arm.mode, strategy: arm.strategy, seeds: finished.map((r) => r.seed) };
  if (finished.length === 0) return { ...base, metrics: null };
  const finalOf = (r: SeedRun) => armOf(r, name).final!;
  const metrics: MetricSummaries = {
    knnTop1: summarize(finished.map((r) => finalOf(r).knnTop1), SEED_CONFIDENCE),
    linearTop1: summarize(finished.map((r) => finalOf(r).linearTop1), SEED_CONFIDENCE),
  };
  // Forgetting is summarized only when every finished seed measured it, so that n means one thing per arm.
  const forgetting = finished.map((r) => armOf(r, name).forgetting?.linear);
  if (forgetting.every((f) => f !== undefined)) {
    for (const key of ['averageAccuracy', 'averageForgetting', 'backwardTransfer'] as const) metrics[key] = summarize(forgetting.map((f) => f![key]), SEED_CONFIDENCE);
  }
  const vsRandomInit = paired(finished, name, 'random init', (r) => r.results.randomInit);
  if (reference === null || reference === name) return { ...base, metrics, vsRandomInit };
  const both = finished.filter((r) => armOf(r, reference).final !== null);
  if (both.length === 0) return { ...base, metrics, vsRandomInit };
  return { ...base, metrics, vsReference: paired(both, name, reference, (r) => armOf(r, reference).final!), vsRandomInit };
}

function paired(runs: readonly SeedRun[], name: string, against: string, other: (r: SeedRun) => EvalResult): PairedSummaries {
  const diff = (key: Accuracy) =>
    pairedDifference(
      runs.map((r) => armOf(r, name).final![key]),
      runs.map((r) => other(r)[key]),
      SEED_CONFIDENCE,
    );
  return { against, seeds: runs.map((r) => r.seed), knnTop1: diff('knnTop1'), linearTop1: diff('linearTop1') };
}
