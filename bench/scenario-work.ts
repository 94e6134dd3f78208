/**
 * What a run of a scenario computes, counted as the coordinator plans it, and the least
 * wall time that work can take on a machine (bench/scenario-floor.ts measures the paces).
 *
 * The work is optimizer steps and evaluations: every arm's planned stages (a fedavg
 * round counts the steps of all its clients), every stage that is scored, and the
 * random-init floor's evaluation, once per seed. Regularizers, replay, hand-offs, input
 * pipelines, start-up and the coordinator are left out, so the floor is a lower bound:
 * a run takes at least that long, whatever its schedule.
 */
import { seedList } from '../shared/scenario-seeds.js';
import type { Scenario } from '../shared/scenario.js';
import { modeOf } from '../server/schedule/modes.js';

export interface ArmWork {
  name: string;
  /** Optimizer steps over all its stages (and all of a round's clients). */
  steps: number;
  /** Stages that are scored. */
  evaluations: number;
}

export interface ScenarioWork {
  /** Seeds the run repeats its arms over. */
  seeds: number;
  /** One seed's arms. */
  arms: ArmWork[];
  /** Over all seeds: the arms' steps. */
  steps: number;
  /** Over all seeds: the scored stages plus the random-init floor. */
  evaluations: number;
}

/** The work of a run of `scenario` whose stream splits into chunks of `chunkSizes` training samples. */
export function scenarioWork(scenario: Scenario, chunkSizes: readonly number[]): ScenarioWork {
  const arms = scenario.arms.map((arm): ArmWork => {
    const mode = modeOf(arm);
    const input = { scenario, arm, chunkSizes };
    const stages = mode.plan(input);
    return {
      name: arm.name,
      steps: stages.reduce((sum, s) => sum + s.record.steps, 0),
      evaluations: stages.filter((s) => s.record.evaluation !== undefined || mode.evaluation(s, input) !== null).length,
    };
  });
  const seeds = seedList(scenario)?.length ?? 1;
  const perSeed = (f: (a: ArmWork) => number) => arms.reduce((sum, a) => sum + f(a), 0);
  return { seeds, arms, steps: seeds * perSeed((a) => a.steps), evaluations: seeds * (perSeed((a) => a.evaluations) + 1) };
}

/** Measured costs the floor is made of. */
export interface Paces {
  /**
   * One training step, milliseconds: alone on the machine for a strict bound, or with a
   * copy on every core at once for what all cores busy allow (they share caches and memory).
   */
  stepMs: number;
  /** One evaluation, seconds, alone on a core. */
  evalSeconds: number;
  cores: number;
}

/** The least wall time, seconds: all the work spread evenly over the cores, each busy throughout. */
export function floorSeconds(work: Pick<ScenarioWork, 'steps' | 'evaluations'>, p: Paces): number {
  if (!(p.cores >= 1) || !(p.stepMs > 0) || !(p.evalSeconds >= 0)) {
    throw new Error(`floorSeconds: expected cores >= 1, stepMs > 0 and evalSeconds >= 0, got ${p.cores}, ${p.stepMs}, ${p.evalSeconds}`);
  }
  return ((work.steps * p.stepMs) / 1000 + work.evaluations * p.evalSeconds) / p.cores;
}
