/**
 * A Dirichlet scenario validates (with path-naming messages for its fields) and plans:
 * the split's chunk sizes become the relay's stage steps, compute-matched with joint and
 * fedavg.
 */
import { describe, expect, it } from 'vitest';
import { loadDataset, planStream } from '../../../client/data/index.js';
import { planArm, stepsForChunk } from '../../../server/schedule/index.js';
import { parseScenario } from '../../../shared/scenario.js';
import { scenarioProblems } from '../../support/scenario.js';

const base = {
  name: 'dirichlet',
  seed: 3,
  dataset: { name: 'synthetic', perClass: 40, imageSize: 8 },
  stream: { type: 'dirichlet', chunks: 4, alpha: 0.1, sizes: { type: 'power', exponent: 1.5 } },
  training: { epochsPerChunk: 2, batchSize: 16 },
  arms: [
    { name: 'relay', mode: 'relay' },
    { name: 'joint', mode: 'joint' },
    { name: 'fedavg', mode: 'fedavg', rounds: 2 },
  ],
};

const problems = (stream: Record<string, unknown>) => scenarioProblems({ ...base, stream });

describe('dirichlet scenarios', () => {
  it('validate, and name the field of each problem', () => {
    expect(problems(base.stream)).toEqual([]);
    expect(problems({ type: 'dirichlet', chunks: 4, alpha: 2, sizes: [1, 2, 3, 4] })).toEqual([]);
    expect(problems({ type: 'dirichlet', chunks: 4 })).toEqual(['stream.alpha: the "dirichlet" stream needs alpha (> 0)']);
    expect(problems({ type: 'dirichlet', chunks: 4, alpha: 0 })[0]).toMatch(/^stream\.alpha: /);
    expect(problems({ type: 'instance', chunks: 4, alpha: 1 })).toEqual(['stream.alpha: alpha applies only to the "dirichlet" stream']);
    expect(problems({ type: 'random-class', chunks: 4, sizes: [1, 1, 1, 1] })).toEqual(['stream.sizes: sizes apply only to the "instance" and "dirichlet" streams']);
    expect(problems({ type: 'instance', chunks: 4, sizes: [1, 2] })).toEqual(['stream.sizes: needs one weight per chunk (4), got 2']);
    const shape = 'stream.sizes: expected one positive weight per chunk, or { "type": "power", "exponent": e } with 0 <= e <= 10';
    expect(problems({ type: 'instance', chunks: 2, sizes: [1, 0] })).toEqual(['stream.sizes[1]: Too small: expected number to be >0']);
    expect(problems({ type: 'instance', chunks: 2, sizes: { type: 'zipf', exponent: 1 } })).toEqual([shape]);
    expect(problems({ type: 'instance', chunks: 2, sizes: { type: 'power', exponent: 11 } })).toEqual(['stream.sizes.exponent: Too big: expected number to be <=10']);
    expect(problems({ type: 'instance', chunks: 2, sizes: 3 })).toEqual([shape]);
  });

  it('plan: relay stages follow the skewed chunk sizes and every mode runs the same total steps', async () => {
    const scenario = parseScenario(base);
    const plan = planStream(await loadDataset(scenario.dataset), scenario.stream, scenario.seed);
    const chunkSizes = plan.chunks.map((c) => c.indices.length);
    for (let k = 1; k < chunkSizes.length; k++) expect(chunkSizes[k]).toBeLessThan(chunkSizes[k - 1]);

    const total = (tasks: { steps: number }[]) => tasks.reduce((n, t) => n + t.steps, 0);
    const [relay, joint, fedavg] = scenario.arms.map((arm) => planArm({ scenario, arm, chunkSizes }));
    expect(relay.map((t) => t.steps)).toEqual(chunkSizes.map((n) => stepsForChunk(n, 2, 16)));
    expect(relay.map((t) => t.data.stream)).toEqual(relay.map(() => scenario.stream));
    expect(total(joint)).toBe(total(relay));
    expect(total(fedavg)).toBe(total(relay));
  });
});
