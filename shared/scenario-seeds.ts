/**
 * A scenario's seeds (`seeds`, `--seeds N`) and the scenario each seed's run is: pure
 * functions of the scenario, so the CLI can apply `--seeds` without loading the
 * coordinator (server/run/seeds.ts runs them).
 */
import { ScenarioError, splitSeedOf, type Scenario } from './scenario.js';

/** The seeds a scenario runs with when they are more than one, else null (a single run, as ever). */
export function seedList(scenario: Scenario): number[] | null {
  return scenario.seeds && scenario.seeds.length > 1 ? scenario.seeds : null;
}

/** `--seeds N`: the scenario with seeds `seed .. seed+N-1` (N = 1: the scenario's `seed` alone). */
export function withSeedCount(scenario: Scenario, n: number): Scenario {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new ScenarioError('--seeds', [`expected a whole number from 1 to 100, got ${n}`]);
  const { seeds: _seeds, ...rest } = scenario;
  return n === 1 ? rest : { ...rest, seeds: Array.from({ length: n }, (_, i) => scenario.seed + i) };
}

/** The scenario one seed's run is: that `seed`, the split where `seedsVary` says, no seeds of its own. */
export function seedScenario(scenario: Scenario, seed: number): Scenario {
  const { seeds: _seeds, seedsVary: _vary, splitSeed: _split, ...rest } = scenario;
  const splitSeed = scenario.seedsVary === 'split' ? seed : splitSeedOf(scenario);
  return { ...rest, seed, ...(splitSeed !== seed ? { splitSeed } : {}) };
}
