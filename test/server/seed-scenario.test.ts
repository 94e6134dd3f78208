import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '../../shared/scenario.js';
import { evalTaskFor } from '../../server/schedule/eval-task.js';
import { planArm } from '../../server/schedule/index.js';
import { seedList, seedScenario, withSeedCount } from '../../shared/scenario-seeds.js';
import { tinyScenario } from '../support/scenario.js';

describe('the scenario of each seed', () => {
  it('--seeds N lists seed .. seed+N-1; one seed is a plain run', () => {
    expect(withSeedCount(tinyScenario(), 3).seeds).toEqual([7, 8, 9]);
    expect(seedList(withSeedCount(tinyScenario(), 1))).toBeNull();
    expect(withSeedCount(tinyScenario({ seeds: [1, 2] }), 1).seeds).toBeUndefined();
    expect(seedList(tinyScenario({ seeds: [4] }))).toBeNull();
    expect(() => withSeedCount(tinyScenario(), 101)).toThrow(ScenarioError);
  });

  it('refuses a seed listed twice, and a fixed split seed with seedsVary "split"', () => {
    expect(() => tinyScenario({ seeds: [1, 1] })).toThrow(/seeds: lists a seed twice/);
    expect(() => tinyScenario({ seedsVary: 'split', splitSeed: 3 })).toThrow(/splitSeed: fixes the split, but seedsVary is "split"/);
    expect(() => tinyScenario({ seedsVary: 'both' })).toThrow(/seedsVary/);
  });

  it('by default varies training with the seed and keeps the split at the scenario seed', () => {
    const scenario = tinyScenario({ seeds: [7, 8] });
    const first = seedScenario(scenario, 7);
    const second = seedScenario(scenario, 8);
    // The first seed's run is exactly the single run of seed 7.
    expect(first).toEqual(parseScenario({ ...tinyScenario() }));
    expect([second.seed, second.splitSeed, 'seeds' in second]).toEqual([8, 7, false]);
    const [stage] = planArm({ scenario: second, arm: second.arms[0], chunkSizes: [100, 110, 120] });
    expect([stage.seed, stage.data.seed]).toEqual([8, 7]);
    expect(evalTaskFor(second, 'random-init:eval')).toMatchObject({ seed: 8, splitSeed: 7 });
    expect(evalTaskFor(first, 'random-init:eval')).not.toHaveProperty('splitSeed');
    // splitSeed fixes the split elsewhere.
    expect(seedScenario(tinyScenario({ seeds: [7, 8], splitSeed: 3 }), 7).splitSeed).toBe(3);
  });

  it('with seedsVary "split" the split follows the seed too', () => {
    const second = seedScenario(tinyScenario({ seeds: [7, 8], seedsVary: 'split' }), 8);
    expect([second.seed, second.splitSeed, 'seedsVary' in second]).toEqual([8, undefined, false]);
    const [stage] = planArm({ scenario: second, arm: second.arms[0], chunkSizes: [100, 110, 120] });
    expect([stage.seed, stage.data.seed]).toEqual([8, 8]);
  });
});
