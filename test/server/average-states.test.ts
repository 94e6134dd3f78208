/** Averaging model states on the coordinator, and the fedavg plan and scenario checks. */
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, type ModelState } from '../../client/engine/state.js';
import { averageStates } from '../../server/average-states.js';
import { planFedavgRounds } from '../../server/schedule/fedavg.js';
import { ScenarioError } from '../../shared/scenario.js';
import { tinyScenario } from '../support/scenario.js';

const vector = (...values: number[]) => ({ shape: [values.length], values: new Float32Array(values) });
const state = (w: number[], optimizer: number[] | null = null): Uint8Array =>
  encodeState({ method: 'simclr', step: 3, methodState: { online: { w: vector(...w) } }, optimizer: optimizer && { w: vector(...optimizer) } } satisfies ModelState);

describe('averageStates', () => {
  it('weights by samples and drops the optimizer when a client kept none', () => {
    const out = decodeState(averageStates([{ state: state([0, 4], [1, 1]), weight: 1, label: 'a' }, { state: state([4, 0], null), weight: 3, label: 'b' }]));
    expect([...out.methodState.online.w.values]).toEqual([3, 1]);
    expect(out.optimizer).toBeNull();
  });

  it('names the state whose arrays do not match', () => {
    expect(() => averageStates([{ state: state([1, 2]), weight: 1, label: 'chunk 0' }, { state: state([1, 2, 3]), weight: 1, label: 'chunk 1' }])).toThrow(
      /chunk 1 methodState.online.w is \[3\], chunk 0 has \[2\]/,
    );
    expect(() => averageStates([{ state: new Uint8Array([1, 2]), weight: 1, label: 'chunk 2' }])).toThrow(/chunk 2/);
  });
});

describe('the fedavg plan', () => {
  it('spreads each chunk’s relay steps over the rounds', () => {
    const scenario = tinyScenario({ arms: [{ name: 'f', mode: 'fedavg', rounds: 3 }] });
    const rounds = planFedavgRounds({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
    expect(rounds.map((r) => r.clients.map((t) => t.steps))).toEqual([
      [3, 3, 3],
      [2, 2, 3],
      [2, 2, 2],
    ]);
    expect(rounds.map((r) => r.round.steps)).toEqual([9, 7, 6]);
    expect(rounds[1].clients[2].optimizer).toMatchObject({ startStep: 3, totalSteps: 8 });
  });

  it('refuses more rounds than a chunk has steps, and bad arm fields', () => {
    const scenario = tinyScenario({ arms: [{ name: 'f', mode: 'fedavg', rounds: 9 }] });
    expect(() => planFedavgRounds({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] })).toThrow(/rounds \(9\) exceeds chunk 0's 7/);
    const bad = () => tinyScenario({ arms: [{ name: 'f', mode: 'fedavg', strategy: { name: 'replay', size: 5 } }, { name: 'r', mode: 'relay', rounds: 2 }] });
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/arms\[0\]\.rounds: mode "fedavg" needs rounds[\s\S]*arms\[0\]\.strategy: mode "fedavg" keeps no replay[\s\S]*arms\[1\]\.rounds: rounds apply only/);
  });
});
