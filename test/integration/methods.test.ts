/**
 * Every SSL method through the real training engine: a two-stage relay on synthetic
 * data, the state handed from one engine.train call to the next (as two clients would),
 * then an evaluation of the trained backbone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type TrainingEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import { buildTrainTask, relaySteps } from '../../server/schedule/build.js';
import { parseScenario, SSL_METHOD_NAMES, type SslSpec } from '../../shared/scenario.js';

const PARTS: Record<SslSpec['method'], string[]> = {
  'moco-v2': ['key', 'online', 'queue'],
  simclr: ['online'],
  byol: ['online', 'target'],
  simsiam: ['online'],
  'barlow-twins': ['online'],
  supervised: ['online'],
};

function scenario(method: SslSpec['method']) {
  return parseScenario({
    name: `methods-${method}`,
    seed: 3,
    dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
    stream: { type: 'instance', chunks: 2 },
    model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
    ssl: { method, queueSize: 32, predictorHidden: 8, bnGroups: 2 },
    training: { epochsPerChunk: 1, batchSize: 16 },
    arms: [{ name: 'relay', mode: 'relay' }],
    evaluation: { trainSamples: 40, testSamples: 40, linear: { epochs: 2 } },
  });
}

describe('every SSL method trains a relay through the engine', () => {
  let engine: TrainingEngine;

  beforeAll(async () => {
    engine = await createEngine({ backend: 'wasm' });
  });

  for (const method of SSL_METHOD_NAMES) {
    it(`${method}: two stages with the state handed on, then evaluated`, async () => {
      const s = scenario(method);
      const arm = s.arms[0];
      const summary = await engine.describeStream({ dataset: s.dataset, stream: s.stream, seed: s.seed });
      const input = { scenario: s, arm, chunkSizes: summary.chunks.map((c) => c.size) };
      const steps = relaySteps(input);
      const totalSteps = steps.reduce((a, b) => a + b, 0);
      const task = (stage: number) =>
        buildTrainTask(input, { stage, chunks: [stage], steps: steps[stage], startStep: stage === 0 ? 0 : steps[0], totalSteps, replay: { mode: 'none' }, evaluate: stage === 1 });

      const first = await engine.train(task(0), null, null, () => {});
      const handed = decodeState(first.state);
      expect(handed.method).toBe(method);
      expect(handed.step).toBe(steps[0]);
      expect(Object.keys(handed.methodState).sort()).toEqual(PARTS[method]);
      expect(handed.optimizer && Object.keys(handed.optimizer).length).toBeGreaterThan(0);

      // Handed as the task runner hands it (its own): the next state is written into its memory, none of it read in place any more.
      const second = await engine.train(task(1), first.state, first.replay, () => {}, { ownsState: true });
      expect(second.state!.buffer).toBe(first.state!.buffer);
      expect(decodeState(second.state).step).toBe(totalSteps);
      for (const m of [first.metrics, second.metrics]) {
        expect(Number.isFinite(m.lossFirst) && Number.isFinite(m.lossLast), `${m.lossFirst} ${m.lossLast}`).toBe(true);
      }
      const evaluation = second.metrics.eval!;
      for (const v of [evaluation.knnTop1, evaluation.linearTop1]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    });
  }

  it('refuses a state handed to another method', async () => {
    const byol = scenario('byol');
    const input = { scenario: byol, arm: byol.arms[0], chunkSizes: [12 * 5, 12 * 5] };
    const spec = { stage: 0, chunks: [0], steps: 1, startStep: 0, totalSteps: 2, replay: { mode: 'none' as const }, evaluate: false };
    const { state } = await engine.train(buildTrainTask(input, spec), null, null, () => {});
    const simsiam = scenario('simsiam');
    const next = buildTrainTask({ ...input, scenario: simsiam }, { ...spec, stage: 1, chunks: [1], startStep: 1 });
    await expect(engine.train(next, state, null, () => {})).rejects.toThrow(/byol/);
  });
});
