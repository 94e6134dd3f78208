/** A scenario's planned work, counted as the coordinator plans it, and the floor made of it (bench/scenario-work.ts). */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { floorSeconds, scenarioWork } from '../../bench/scenario-work.js';
import { loadScenario, parseScenario, type Scenario } from '../../shared/scenario.js';

// Fashion-MNIST's 60,000 training images in the quickstart's four instance chunks.
const QUICKSTART_CHUNKS = [15_000, 15_000, 15_000, 15_000];
const QUICKSTART = fileURLToPath(new URL('../../scenarios/quickstart.json', import.meta.url));
const quickstart = (sets: string[] = []) => loadScenario(QUICKSTART, sets);

describe('scenarioWork', () => {
  it('counts the quickstart as its run plans it: 704 steps per arm, every relay stage, joint and the floor scored', () => {
    // ceil(1.5 x 15,000 / 128) = 176 steps per chunk: the arms-planned event of a run.
    expect(scenarioWork(quickstart(), QUICKSTART_CHUNKS)).toEqual({
      seeds: 1,
      arms: [
        { name: 'relay-replay', steps: 704, evaluations: 4 },
        { name: 'joint', steps: 704, evaluations: 1 },
      ],
      steps: 1408,
      evaluations: 6,
    });
  });

  it('scores only the last stage without everyStage, and repeats everything per seed', () => {
    expect(scenarioWork(quickstart(['evaluation.everyStage=false']), QUICKSTART_CHUNKS).evaluations).toBe(3);
    const seeds: Scenario = { ...quickstart(), seeds: [0, 1, 2] };
    expect(scenarioWork(seeds, QUICKSTART_CHUNKS)).toMatchObject({ seeds: 3, steps: 3 * 1408, evaluations: 3 * 6 });
  });

  it('counts all the clients of a fedavg round, and scores each round', () => {
    const fed = parseScenario({ ...quickstart(), arms: [{ name: 'fed', mode: 'fedavg', rounds: 3 }] });
    // Each chunk's relay steps, spread over the rounds: the same total as relay.
    expect(scenarioWork(fed, QUICKSTART_CHUNKS)).toMatchObject({ arms: [{ name: 'fed', steps: 704, evaluations: 3 }], steps: 704, evaluations: 4 });
  });

  it('refuses chunk sizes that do not fit the stream, naming them', () => {
    expect(() => scenarioWork(quickstart(), [15_000, 15_000])).toThrow(/expected 4 chunk sizes/);
  });
});

describe('floorSeconds', () => {
  it('spreads the steps and evaluations evenly over the cores', () => {
    // (1000 x 50 ms + 4 x 2 s) / 2 cores.
    expect(floorSeconds({ steps: 1000, evaluations: 4 }, { stepMs: 50, evalSeconds: 2, cores: 2 })).toBeCloseTo(29, 12);
    expect(floorSeconds({ steps: 10, evaluations: 0 }, { stepMs: 100, evalSeconds: 5, cores: 1 })).toBeCloseTo(1, 12);
  });

  it('refuses paces that cannot be right', () => {
    expect(() => floorSeconds({ steps: 1, evaluations: 1 }, { stepMs: 50, evalSeconds: 2, cores: 0 })).toThrow(/cores >= 1/);
    expect(() => floorSeconds({ steps: 1, evaluations: 1 }, { stepMs: Number.NaN, evalSeconds: 2, cores: 2 })).toThrow(/stepMs > 0/);
  });
});
