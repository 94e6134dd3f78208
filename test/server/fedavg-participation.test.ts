/**
 * fedavg's partial participation: which chunks each round samples (seeded, reproducible,
 * exact counts), how the steps are spread over the rounds a chunk takes part in, and the
 * totals the compute-matching note states.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioError, type ArmSpecOf } from '../../shared/scenario.js';
import { relaySteps } from '../../server/schedule/build.js';
import { fedavgMatchingNote, fedavgMode, planFedavgRounds, sampledChunks } from '../../server/schedule/fedavg.js';
import { tinyScenario } from '../support/scenario.js';

const sizes = [100, 110, 120, 130, 140];
const fedavg = (arm: Record<string, unknown>, seed = 7) => {
  const scenario = tinyScenario({ seed, stream: { type: 'instance', chunks: 5 }, arms: [{ name: 'f', mode: 'fedavg', rounds: 4, ...arm }] });
  return { scenario, arm: scenario.arms[0] as ArmSpecOf<'fedavg'>, chunkSizes: sizes };
};

describe('fedavg partial participation', () => {
  it('samples round(fraction x chunks) distinct chunks a round, at least one, the same for the same seed, arm and round', () => {
    const half = sampledChunks(fedavg({ fraction: 0.5 }));
    expect(half.map((r) => r.length)).toEqual([3, 3, 3, 3]); // round(2.5) = 3
    for (const round of half) {
      expect(new Set(round).size).toBe(round.length);
      expect(round).toEqual([...round].sort((a, b) => a - b));
      expect(round.every((k) => k >= 0 && k < 5)).toBe(true);
    }
    expect(sampledChunks(fedavg({ fraction: 0.5 }))).toEqual(half);
    expect(sampledChunks(fedavg({ fraction: 0.4 })).map((r) => r.length)).toEqual([2, 2, 2, 2]);
    expect(sampledChunks(fedavg({ fraction: 0.01 })).map((r) => r.length)).toEqual([1, 1, 1, 1]);
    expect(sampledChunks(fedavg({})).every((r) => r.join() === '0,1,2,3,4')).toBe(true);
    // Rounds draw afresh; another seed or arm name draws otherwise.
    const manyRounds = (extra: Record<string, unknown>, seed?: number) => sampledChunks(fedavg({ fraction: 0.4, rounds: 12, ...extra }, seed)).map((r) => r.join());
    expect(new Set(manyRounds({})).size).toBeGreaterThan(1);
    expect(manyRounds({}, 8)).not.toEqual(manyRounds({}));
    expect(manyRounds({ name: 'g' })).not.toEqual(manyRounds({}));
  });

  it("spreads each sampled chunk's relay steps over the rounds it takes part in: totals as the note states them", () => {
    const input = fedavg({ fraction: 0.4, rounds: 3 });
    const steps = relaySteps(input);
    const sampled = sampledChunks(input);
    const rounds = planFedavgRounds(input);
    expect(rounds.map((r) => r.clients.map((t) => t.data.chunks[0]))).toEqual(sampled);
    expect(rounds.map((r) => r.round.data.chunks)).toEqual(sampled);
    const perChunk = steps.map((_, k) => rounds.flatMap((r) => r.clients.filter((t) => t.data.chunks[0] === k)));
    const total = perChunk.reduce((sum, tasks, k) => {
      if (tasks.length === 0) return sum;
      // Each sampled chunk trains exactly relay's steps, its schedule continuing from round to round.
      expect(tasks.reduce((n, t) => n + t.steps, 0)).toBe(steps[k]);
      expect(tasks.map((t) => t.optimizer.startStep)).toEqual(tasks.map((_, i) => tasks.slice(0, i).reduce((n, t) => n + t.steps, 0)));
      expect(tasks.every((t) => t.optimizer.totalSteps === steps[k])).toBe(true);
      // A chunk trained in several rounds continues one sample order: each round starts where the last stopped.
      const orders = tasks.map((t) => t.chunkOrder);
      if (tasks.length === 1) expect(orders).toEqual([undefined]);
      else {
        expect(new Set(orders.map((o) => o!.seed)).size).toBe(1);
        expect(orders.map((o) => o!.skip)).toEqual(tasks.map((t) => t.optimizer.startStep * t.batchSize));
      }
      return sum + steps[k];
    }, 0);
    expect(rounds.reduce((n, r) => n + r.round.steps, 0)).toBe(total);
    const unsampled = perChunk.flatMap((tasks, k) => (tasks.length === 0 ? [k] : []));
    expect(unsampled.length).toBeGreaterThan(0); // 2 of 5 chunks in 3 rounds: at least one is left out
    const note = fedavgMatchingNote(input);
    expect(note).toContain(`${total} steps in all against relay's ${steps.reduce((a, b) => a + b, 0)}`);
    expect(note).toContain(`chunk(s) ${unsampled.join(', ')} were never sampled`);
    expect(fedavgMode.busyClients(input.arm, input.scenario)).toBe(2);
  });

  it('with every chunk sampled, the total equals relay exactly, and without fraction the plan is the one of all chunks', () => {
    const input = fedavg({ fraction: 0.8, rounds: 6 });
    const total = relaySteps(input).reduce((a, b) => a + b, 0);
    expect(new Set(sampledChunks(input).flat()).size).toBe(5);
    expect(planFedavgRounds(input).reduce((n, r) => n + r.round.steps, 0)).toBe(total);
    expect(fedavgMatchingNote(input)).toContain(`${total} steps in all against relay's ${total}`);
    expect(fedavgMatchingNote(input)).not.toContain('never sampled');
    const everyChunk = fedavg({ fraction: 1, rounds: 6 });
    const plain = fedavg({ rounds: 6 });
    expect(planFedavgRounds(everyChunk).map((r) => r.clients)).toEqual(planFedavgRounds(plain).map((r) => r.clients));
  });

  it('refuses a chunk sampled in more rounds than it has steps, and fraction or deadline out of range or on another mode', () => {
    expect(() => planFedavgRounds(fedavg({ fraction: 1, rounds: 9 }))).toThrow(/chunk 0 is sampled in 9 round\(s\), more than its 7 optimizer step\(s\)/);
    const bad = () => tinyScenario({ arms: [{ name: 'f', mode: 'fedavg', rounds: 2, fraction: 0, deadline: -1 }, { name: 'r', mode: 'relay', fraction: 0.5, deadline: 3 }] });
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/arms\[0\]\.fraction[\s\S]*arms\[0\]\.deadline[\s\S]*arms\[1\]\.fraction: fraction applies only to mode "fedavg"[\s\S]*arms\[1\]\.deadline: deadline applies only/);
    expect(() => tinyScenario({ arms: [{ name: 'f', mode: 'fedavg', rounds: 2, fraction: 1.5 }] })).toThrow(/arms\[0\]\.fraction/);
  });
});
