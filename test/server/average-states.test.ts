/** Averaging model states on the coordinator, and the fedavg plan and scenario checks. */
import { describe, expect, it } from 'vitest';
import { averageStates } from '../../server/states/average-states.js';
import { decodedState, keepDecoded } from '../../server/states/decoded-states.js';
import { decodeState, encodeState, type ModelState } from '../../shared/state/model-state.js';
import type { PartsMeta } from '../../shared/state/part-meta.js';
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

  /** A state with an averaged part `online` and a part `ring`, described by `partMeta`. */
  const ringState = (w: number[], ring: { slots: number[]; head: number }, partMeta?: PartsMeta): Uint8Array =>
    encodeState({
      method: 'moco-like',
      step: 3,
      methodState: { online: { w: vector(...w) }, ring: { slots: vector(...ring.slots), head: vector(ring.head) } },
      ...(partMeta ? { partMeta } : {}),
      optimizer: null,
    });

  it('takes a part whole from the heaviest state because the state says so, whatever its name', () => {
    const whole: PartsMeta = { ring: { combine: 'whole', arrays: { head: 'position' } } };
    const inputs = (meta?: PartsMeta) => [
      { state: ringState([0, 4], { slots: [1, 1], head: 1 }, meta), weight: 1, label: 'a' },
      { state: ringState([4, 0], { slots: [3, 3], head: 5 }, meta), weight: 3, label: 'b' },
    ];
    const taken = decodeState(averageStates(inputs(whole)));
    expect([...taken.methodState.online.w.values]).toEqual([3, 1]);
    expect([...taken.methodState.ring.slots.values]).toEqual([3, 3]);
    expect([...taken.methodState.ring.head.values]).toEqual([5]);
    expect(taken.partMeta).toEqual(whole);
    // Without metadata the same part is parameters, averaged like any other.
    const averaged = decodeState(averageStates(inputs()));
    expect([...averaged.methodState.ring.slots.values]).toEqual([2.5, 2.5]);
    expect([...averaged.methodState.ring.head.values]).toEqual([4]);
  });

  it('in an averaged part, takes positions from the heaviest state and keeps unit rows unit', () => {
    const meta: PartsMeta = { keys: { combine: 'average', arrays: { head: 'position', rows: 'unit-rows' } } };
    const keys = (rows: number[], head: number) =>
      encodeState({ method: 'm', step: 1, methodState: { keys: { rows: { shape: [1, 2], values: Float32Array.from(rows) }, head: vector(head) } }, partMeta: meta, optimizer: null });
    const out = decodeState(averageStates([{ state: keys([1, 0], 2), weight: 1, label: 'a' }, { state: keys([0, 1], 6), weight: 1, label: 'b' }]));
    expect([...out.methodState.keys.head.values]).toEqual([2]);
    [...out.methodState.keys.rows.values].forEach((v) => expect(v).toBeCloseTo(Math.SQRT1_2, 6));
  });

  it('refuses states that describe their parts differently', () => {
    const whole: PartsMeta = { ring: { combine: 'whole' } };
    expect(() =>
      averageStates([
        { state: ringState([1, 2], { slots: [1, 1], head: 1 }, whole), weight: 1, label: 'chunk 0' },
        { state: ringState([1, 2], { slots: [1, 1], head: 1 }), weight: 1, label: 'chunk 1' },
      ]),
    ).toThrow('averageStates: chunk 1 describes its parts as "all parts averaged", chunk 0 as "ring whole"');
  });

  it('averages the states kept decoded without decoding them again, and keeps the average decoded', () => {
    const returned = [state([0, 4]), state([4, 0])];
    for (const bytes of returned) keepDecoded(bytes, decodeState(bytes)); // as the check of a returned state does
    returned.forEach((bytes) => bytes.fill(0)); // no longer states: only the kept decoded ones can be averaged
    const out = averageStates(returned.map((bytes, i) => ({ state: bytes, weight: 1, label: `chunk ${i}` })));
    const average = decodeState(out);
    expect([...average.methodState.online.w.values]).toEqual([2, 2]);
    expect(decodedState(out)).toEqual(average);
    out.fill(0);
    expect(decodedState(out)).toEqual(average);
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
