import { describe, expect, it } from 'vitest';
import { buildSeedResults, type SeedRun } from '../../../server/report/seeds/seed-results.js';
import { renderSeedReport } from '../../../server/report/seeds/seed-report.js';
import { renderSuite } from '../../../server/run/suite.js';
import { pairedDifference, summarize } from '../../../server/report/seeds/statistics.js';
import type { ArmResult, Results } from '../../../server/report/results.js';
import { withSeedCount } from '../../../shared/scenario-seeds.js';
import { tinyScenario } from '../../support/scenario.js';

const scenario = withSeedCount(tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }] }), 3);

function arm(name: string, mode: 'relay' | 'joint', knn: number | null, forgetting?: number): ArmResult {
  const final = knn === null ? null : { knnTop1: knn, linearTop1: knn + 0.05, seconds: 1, steps: 10, trainSeconds: 1, handoffSeconds: 0 };
  const f = forgetting === undefined ? {} : { forgetting: { linear: { averageAccuracy: knn! + 0.1, averageForgetting: forgetting, backwardTransfer: -forgetting }, knn: { averageAccuracy: 0, averageForgetting: 0, backwardTransfer: 0 } } };
  return { name, mode, strategy: 'none', stages: [], final, ...(knn === null ? { error: 'lost' } : {}), ...f };
}

function run(seed: number, relay: number | null, joint: number, floor: number, forgetting: number): SeedRun {
  const results = {
    backend: 'cpu',
    scenario,
    randomInit: { knnTop1: floor, linearTop1: floor + 0.01, seconds: 1 },
    arms: [arm('relay', 'relay', relay, relay === null ? undefined : forgetting), arm('joint', 'joint', joint)],
    computeMatching: '',
    coordinatorOverhead: null,
    stream: { chunks: [{ id: 0, size: 1 }] },
    clients: [],
    startedAt: `2026-01-0${seed}T00:00:00.000Z`,
    finishedAt: `2026-01-0${seed}T01:00:00.000Z`,
  } as Results;
  return { seed, dir: `seed-${seed}`, results };
}

describe('results over seeds', () => {
  const runs = [run(1, 0.8, 0.78, 0.7, 0.02), run(2, 0.82, 0.81, 0.72, 0.01), run(3, 0.79, 0.8, 0.69, 0.03)];

  it('summarizes each arm and metric, and pairs every arm with joint and the floor on the same seeds', () => {
    const r = buildSeedResults(scenario, runs);
    expect(r.arms).toEqual(runs[0].results.arms);
    expect(r.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(r.finishedAt).toBe('2026-01-03T01:00:00.000Z');
    const relay = r.statistics.arms[0];
    expect(relay.metrics!.knnTop1).toEqual(summarize([0.8, 0.82, 0.79]));
    expect(relay.metrics!.averageForgetting).toEqual(summarize([0.02, 0.01, 0.03]));
    expect(relay.metrics!.averageAccuracy!.mean).toBeCloseTo((0.9 + 0.92 + 0.89) / 3, 12);
    expect(relay.vsReference).toMatchObject({ against: 'joint', seeds: [1, 2, 3], knnTop1: pairedDifference([0.8, 0.82, 0.79], [0.78, 0.81, 0.8]) });
    expect(relay.vsReference!.knnTop1.significant).toBe(false);
    expect(relay.vsRandomInit!.knnTop1.significant).toBe(true);
    expect(r.statistics.randomInit.linearTop1).toEqual(summarize([0.71, 0.73, 0.7]));
    expect(r.statistics.arms[1].metrics!.averageForgetting).toBeUndefined();
  });

  it('leaves out the seeds on which an arm failed, in its summaries and its pairs', () => {
    const r = buildSeedResults(scenario, [runs[0], run(2, null, 0.81, 0.72, 0), runs[2]]);
    const relay = r.statistics.arms[0];
    expect(relay.seeds).toEqual([1, 3]);
    expect(relay.metrics!.knnTop1.values).toEqual([0.8, 0.79]);
    expect(relay.vsReference!.seeds).toEqual([1, 3]);
    expect(r.statistics.arms[1].seeds).toEqual([1, 2, 3]);
  });

  it('the report and the suite table show mean ± half-width and mark differences whose interval holds 0', () => {
    const r = buildSeedResults(scenario, runs);
    const hw = (values: number[]) => (summarize(values).halfWidth! * 100).toFixed(1);
    const report = renderSeedReport(r);
    expect(report).toContain(`| relay | relay (fine-tune) | 3 | 80.3 ± ${hw([0.8, 0.82, 0.79])} |`);
    expect(report).toMatch(/\| relay \|[^\n]*\| \+0\.7 ± \d+\.\d n\.s\. \|/);
    expect(report).toContain('| random init | floor | 3 | 70.3 ± ');
    const suite = renderSuite([{ name: 'tiny', results: r }]);
    expect(suite).toContain(`| tiny | instance | moco-v2 | relay (3 seeds) | 80.3 ± ${hw([0.8, 0.82, 0.79])} |`);
    expect(suite).toContain('n.s.');
    expect(suite).toContain(`| instance | ${(2).toFixed(1)} ± ${hw([0.02, 0.01, 0.03])} |`);
  });
});
