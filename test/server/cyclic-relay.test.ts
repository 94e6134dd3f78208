import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type ArmSpec, type Scenario } from '../../shared/scenario.js';
import type { TrainTask } from '../../shared/tasks.js';
import { cycleOrders, visitSteps } from '../../server/schedule/cycle-order.js';
import { buildTrainTask, relaySteps, replayOptions, type PlanInput } from '../../server/schedule/build.js';
import { computeMatchingNote, modeOf, planArm } from '../../server/schedule/index.js';
import { RELAY_ORDERS } from '../../shared/arm-schema.js';
import { tinyScenario } from '../support/scenario.js';

const isPermutation = (cycle: number[], n: number) => cycle.length === n && [...cycle].sort((a, b) => a - b).every((c, i) => c === i);

describe('cycle orders', () => {
  const params = fc.record({ chunks: fc.integer({ min: 1, max: 12 }), cycles: fc.integer({ min: 1, max: 6 }), seed: fc.nat() });

  it('visit every chunk once per cycle; fixed is 0..N-1 every cycle', () => {
    fc.assert(
      fc.property(params, fc.constantFrom(...RELAY_ORDERS), ({ chunks, cycles, seed }, order) => {
        fc.pre(!(order === 'random-no-repeat' && chunks === 1 && cycles > 1));
        const orders = cycleOrders(chunks, cycles, order, seed);
        expect(orders).toHaveLength(cycles);
        for (const cycle of orders) expect(isPermutation(cycle, chunks)).toBe(true);
        if (order === 'fixed') expect(orders.every((cycle) => cycle.every((c, i) => c === i))).toBe(true);
      }),
    );
  });

  it('are reproducible from the seed', () => {
    fc.assert(
      fc.property(params, ({ chunks, cycles, seed }) => {
        fc.pre(chunks > 1);
        expect(cycleOrders(chunks, cycles, 'random-no-repeat', seed)).toEqual(cycleOrders(chunks, cycles, 'random-no-repeat', seed));
        expect(cycleOrders(chunks, cycles, 'random', seed)).toEqual(cycleOrders(chunks, cycles, 'random', seed));
      }),
    );
  });

  it('random-no-repeat never starts a cycle with the chunk the previous one ended on', () => {
    fc.assert(
      fc.property(params, ({ chunks, cycles, seed }) => {
        fc.pre(chunks > 1);
        const visits = cycleOrders(chunks, cycles, 'random-no-repeat', seed).flat();
        visits.forEach((chunk, v) => {
          if (v > 0) expect(chunk).not.toBe(visits[v - 1]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('random repeats a chunk across a boundary for some seeds (what no-repeat prevents), and draws every order', () => {
    const seeds = Array.from({ length: 200 }, (_, s) => s);
    expect(seeds.some((s) => { const [a, b] = cycleOrders(3, 2, 'random', s); return a[2] === b[0]; })).toBe(true);
    const firstCycles = new Set(seeds.map((s) => cycleOrders(3, 1, 'random', s)[0].join()));
    expect(firstCycles.size).toBe(6);
    // Every allowed second cycle shows up, the refused ones never (4 of the 6 start with another chunk).
    const after = new Set(seeds.map((s) => cycleOrders(3, 2, 'random-no-repeat', s)).filter(([a]) => a.join() === '0,1,2').map(([, b]) => b.join()));
    expect([...after].sort()).toEqual(['0,1,2', '0,2,1', '1,0,2', '1,2,0']);
  });

  it('refuse random-no-repeat over one chunk with several cycles, allow it for one cycle', () => {
    expect(() => cycleOrders(1, 2, 'random-no-repeat', 0)).toThrow(/at least 2 chunks/);
    expect(cycleOrders(1, 1, 'random-no-repeat', 0)).toEqual([[0]]);
  });

  it("split a chunk's steps over the cycles so that they sum exactly to the one-pass steps", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 50 }), (steps, cycles) => {
        fc.pre(steps >= cycles);
        const split = Array.from({ length: cycles }, (_, c) => visitSteps(steps, cycles, c));
        expect(split.reduce((a, b) => a + b, 0)).toBe(steps);
        expect(Math.max(...split) - Math.min(...split)).toBeLessThanOrEqual(1);
        expect(Math.min(...split)).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});

/** The one-pass relay plan as it was before cycles: what journals written then hold. */
function onePassPlan(input: PlanInput): TrainTask[] {
  const steps = relaySteps(input);
  const totalSteps = steps.reduce((a, b) => a + b, 0);
  let startStep = 0;
  return steps.map((stageSteps, k) => {
    const task = buildTrainTask(input, {
      stage: k,
      chunks: [k],
      steps: stageSteps,
      startStep,
      totalSteps,
      replay: replayOptions(input.arm),
      regularizer: input.arm.regularizer,
      evaluate: input.scenario.evaluation.everyStage || k === steps.length - 1,
    });
    startStep += stageSteps;
    return task;
  });
}

function withArms(arms: unknown[], patch: Record<string, unknown> = {}): Scenario {
  return tinyScenario({ arms, ...patch });
}

const sum = (tasks: readonly TrainTask[]) => tasks.reduce((total, t) => total + t.steps, 0);

describe('cyclic relay plan', () => {
  const replay = { name: 'replay', size: 5 };
  const mas = { name: 'mas', samples: 16 };

  it('with one cycle in fixed order plans exactly the one-pass stages', () => {
    const scenario = withArms([
      { name: 'plain', mode: 'relay', strategy: replay, regularizer: mas },
      { name: 'explicit', mode: 'relay', strategy: replay, regularizer: mas, cycles: 1, order: 'fixed' },
    ]);
    const chunkSizes = [100, 64, 33];
    const [plain, explicit] = scenario.arms;
    expect(plain).not.toHaveProperty('cycles');
    expect(plain).not.toHaveProperty('order');
    expect(planArm({ scenario, arm: plain, chunkSizes })).toEqual(onePassPlan({ scenario, arm: plain, chunkSizes }));
    expect(planArm({ scenario, arm: explicit, chunkSizes })).toEqual(onePassPlan({ scenario, arm: explicit, chunkSizes }));
    expect(modeOf(plain).strategyName(plain)).toBe('replay+mas');
    expect(computeMatchingNote({ scenario, chunkSizes })).not.toMatch(/visits every chunk/);
  });

  it('visits every chunk once per cycle, the schedule spanning all visits, evaluating every visit', () => {
    const scenario = withArms([{ name: 'cyclic', mode: 'relay', strategy: replay, regularizer: mas, cycles: 2, order: 'random-no-repeat' }], {
      training: { epochsPerChunk: 1.5, batchSize: 32 },
    });
    const arm = scenario.arms[0];
    const chunkSizes = [100, 64, 33]; // one pass: 5, 3, 2 steps
    const plan = planArm({ scenario, arm, chunkSizes });
    expect(plan.map((t) => t.stage)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(plan.map((t) => t.taskId)).toEqual(plan.map((t) => `cyclic:stage-${t.stage}`));
    const chunks = plan.map((t) => t.data.chunks[0]);
    expect(isPermutation(chunks.slice(0, 3), 3) && isPermutation(chunks.slice(3), 3)).toBe(true);
    expect(chunks[3]).not.toBe(chunks[2]);
    // The first cycle takes the odd step of each chunk.
    const perChunk = [0, 1, 2].map((k) => plan.filter((t) => t.data.chunks[0] === k).map((t) => t.steps));
    expect(perChunk).toEqual([[3, 2], [2, 1], [1, 1]]);
    expect(plan.map((t) => t.optimizer.startStep)).toEqual(plan.map((_, v) => sum(plan.slice(0, v))));
    expect(plan.every((t) => t.optimizer.totalSteps === 10 && t.evaluation !== undefined && t.regularizer?.name === 'mas')).toBe(true);
    expect(modeOf(arm).strategyName(arm)).toBe('replay+mas, 2 cycles random-no-repeat');
    expect(modeOf(arm).labels(arm).comparison).toBe('relay (replay+mas, 2 cycles random-no-repeat)');
    expect(computeMatchingNote({ scenario, chunkSizes })).toMatch(/relay arm cyclic visits every chunk 2 times .* the same 10 steps/);
  });

  it('adds a chunk to the replay buffer on its first visit only', () => {
    const scenario = withArms([
      { name: 'replayed', mode: 'relay', strategy: replay, cycles: 2, order: 'random' },
      { name: 'fine', mode: 'relay', cycles: 2 },
    ]);
    const chunkSizes = [40, 40, 40];
    const plan = planArm({ scenario, arm: scenario.arms[0], chunkSizes });
    const firstVisit = (v: number) => plan.findIndex((t) => t.data.chunks[0] === plan[v].data.chunks[0]) === v;
    plan.forEach((t, v) => {
      expect(t.replay).toEqual(firstVisit(v) ? { mode: 'replay', size: 5, ratio: 0.5, selection: 'random' } : { mode: 'replay', size: 5, ratio: 0.5, selection: 'random', extend: false });
    });
    expect(plan.filter((t) => t.replay.mode === 'replay' && t.replay.extend === false)).toHaveLength(3);
    expect(planArm({ scenario, arm: scenario.arms[1], chunkSizes }).every((t) => t.replay.mode === 'none' && !('extend' in t.replay))).toBe(true);
  });

  it("continues each chunk's sample order across its visits, counting only the new samples of each batch", () => {
    const scenario = withArms([{ name: 'cyclic', mode: 'relay', strategy: { name: 'replay', size: 5, ratio: 0.25 }, cycles: 3, order: 'random' }], {
      training: { epochsPerChunk: 2, batchSize: 32 },
    });
    const plan = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 64, 33] });
    const seeds = new Set<number>();
    for (const k of [0, 1, 2]) {
      const visits = plan.filter((t) => t.data.chunks[0] === k);
      expect(visits).toHaveLength(3);
      const orders = visits.map((t) => t.chunkOrder!);
      expect(new Set(orders.map((o) => o.seed)).size).toBe(1);
      seeds.add(orders[0].seed);
      // The arm's first stage has no buffer yet, so all 32 of a batch are new; later 24 (8 replayed).
      const fresh = visits.map((t) => (t.stage === 0 ? 32 : 24));
      expect(orders.map((o) => o.skip)).toEqual([0, visits[0].steps * fresh[0], visits[0].steps * fresh[0] + visits[1].steps * fresh[1]]);
    }
    expect(seeds.size).toBe(3);
    const onePass = withArms([{ name: 'relay', mode: 'relay' }]);
    expect(planArm({ scenario: onePass, arm: onePass.arms[0], chunkSizes: [100, 64, 33] }).some((t) => 'chunkOrder' in t)).toBe(false);
  });

  it('seeds the order by the scenario seed and the arm', () => {
    const arms = [
      { name: 'a', mode: 'relay', cycles: 4, order: 'random' },
      { name: 'b', mode: 'relay', cycles: 4, order: 'random' },
    ];
    const chunkSizes = Array.from({ length: 6 }, () => 100);
    const orderOf = (scenario: Scenario, arm: ArmSpec) => planArm({ scenario, arm, chunkSizes }).map((t) => t.data.chunks[0]).join();
    const at = (seed: number) => withArms(arms, { seed, stream: { type: 'instance', chunks: 6 } });
    expect(orderOf(at(1), at(1).arms[0])).toBe(orderOf(at(1), at(1).arms[0]));
    expect(orderOf(at(1), at(1).arms[0])).not.toBe(orderOf(at(1), at(1).arms[1]));
    expect(orderOf(at(1), at(1).arms[0])).not.toBe(orderOf(at(2), at(2).arms[0]));
  });

  it('refuses more cycles than a chunk has steps', () => {
    const scenario = withArms([{ name: 'many', mode: 'relay', cycles: 5 }], { training: { epochsPerChunk: 1, batchSize: 32 } });
    expect(() => planArm({ scenario, arm: scenario.arms[0], chunkSizes: [200, 64, 10] })).toThrow(/cycles \(5\) exceeds chunk 1's 2 optimizer step/);
  });

  it('total optimizer steps are equal for one pass, cyclic relay, joint and fedavg', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 32, max: 400 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(...RELAY_ORDERS),
        fc.nat(1000),
        (chunkSizes, cycles, order, seed) => {
          fc.pre(!(order === 'random-no-repeat' && chunkSizes.length === 1 && cycles > 1));
          const scenario = withArms(
            [
              { name: 'relay', mode: 'relay' },
              { name: 'cyclic', mode: 'relay', strategy: replay, cycles, order },
              { name: 'joint', mode: 'joint' },
              { name: 'fedavg', mode: 'fedavg', rounds: 2 },
            ],
            { seed, stream: { type: 'instance', chunks: chunkSizes.length }, training: { epochsPerChunk: 1, batchSize: 8 } },
          );
          const [relay, cyclic, joint, fedavg] = scenario.arms.map((arm) => planArm({ scenario, arm, chunkSizes }));
          const total = sum(relay);
          expect(sum(cyclic)).toBe(total);
          expect(sum(joint)).toBe(total);
          expect(sum(fedavg)).toBe(total);
          // And chunk by chunk: every chunk gets exactly its one-pass steps.
          relay.forEach((stage, k) => expect(sum(cyclic.filter((t) => t.data.chunks[0] === k))).toBe(stage.steps));
          expect(cyclic).toHaveLength(cycles * chunkSizes.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('cyclic relay options in the scenario', () => {
  const problems = (arms: unknown[], chunks = 3): string[] => {
    try {
      parseScenario({ name: 's', dataset: { name: 'synthetic' }, stream: { type: 'instance', chunks }, arms });
      return [];
    } catch (err) {
      return (err as ScenarioError).problems;
    }
  };

  it('belong to relay arms only', () => {
    expect(problems([{ name: 'j', mode: 'joint', cycles: 2 }])).toEqual(['arms[0].cycles: cycles apply only to mode "relay"']);
    expect(problems([{ name: 'f', mode: 'fedavg', rounds: 2, order: 'random' }])).toEqual(['arms[0].order: order applies only to mode "relay"']);
  });

  it('take a positive whole number of cycles and a known order', () => {
    expect(problems([{ name: 'r', mode: 'relay', cycles: 0 }])[0]).toMatch(/^arms\[0\]\.cycles: /);
    expect(problems([{ name: 'r', mode: 'relay', cycles: 1.5 }])[0]).toMatch(/^arms\[0\]\.cycles: /);
    expect(problems([{ name: 'r', mode: 'relay', order: 'shuffled' }])[0]).toMatch(/^arms\[0\]\.order: .*random-no-repeat/);
    expect(problems([{ name: 'r', mode: 'relay', cycles: 4, order: 'random-no-repeat' }])).toEqual([]);
  });

  it('refuse random-no-repeat over a single chunk with several cycles', () => {
    expect(problems([{ name: 'r', mode: 'relay', cycles: 2, order: 'random-no-repeat' }], 1)).toEqual([
      'arms[0].order: random-no-repeat needs at least 2 chunks when cycles > 1 (one chunk is always visited twice in a row)',
    ]);
    expect(problems([{ name: 'r', mode: 'relay', order: 'random-no-repeat' }], 1)).toEqual([]);
  });
});
