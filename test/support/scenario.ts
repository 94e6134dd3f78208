/**
 * Tiny valid scenarios: `tinyScenario` for fake engines (synthetic data, three chunks,
 * relay fine-tune and replay, joint), `quickTrainingScenario` for the training engine.
 */
import { parseScenario, ScenarioError, type Scenario } from '../../shared/scenario.js';

/** The scenario with `patch` merged over its top-level fields. */
export function tinyScenario(patch: Record<string, unknown> = {}): Scenario {
  return parseScenario({
    name: 'tiny',
    seed: 7,
    dataset: { name: 'synthetic', perClass: 20, imageSize: 8 },
    stream: { type: 'instance', chunks: 3 },
    model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
    ssl: { queueSize: 64 },
    training: { epochsPerChunk: 2, batchSize: 32 },
    arms: [
      { name: 'relay-finetune', mode: 'relay' },
      { name: 'relay-replay', mode: 'relay', strategy: { name: 'replay', size: 10 } },
      { name: 'joint', mode: 'joint' },
    ],
    evaluation: { everyStage: true, trainSamples: 50, testSamples: 50 },
    clients: { stageTimeoutSeconds: 30 },
    ...patch,
  });
}

/** The smallest real training: one MoCo-v2 relay arm over two random-class chunks of tiny synthetic images. */
export function tinyRelayScenario(patch: Record<string, unknown> = {}): Scenario {
  return tinyScenario({
    name: 'tiny-relay',
    dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
    stream: { type: 'random-class', chunks: 2 },
    ssl: { method: 'moco-v2', queueSize: 32 },
    training: { batchSize: 16 },
    arms: [{ name: 'relay', mode: 'relay' }],
    ...patch,
  });
}

/**
 * Raw scenario JSON the training engine runs in seconds (wasm, one thread per client):
 * synthetic data in three class chunks, a tiny ResNet, relay with replay and joint.
 * Top-level fields of `patch` replace the defaults.
 */
export function quickTrainingScenario(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'quick-training',
    seed: 3,
    dataset: { name: 'synthetic', perClass: 30, imageSize: 8 },
    stream: { type: 'random-class', chunks: 3 },
    model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
    ssl: { queueSize: 64 },
    training: { epochsPerChunk: 2, batchSize: 16 },
    arms: [
      { name: 'relay', mode: 'relay', strategy: { name: 'replay', fraction: 0.2, ratio: 0.25 } },
      { name: 'joint', mode: 'joint' },
    ],
    evaluation: { trainSamples: 60, testSamples: 40, linear: { epochs: 2 } },
    clients: { backend: 'wasm', threads: 1, stageTimeoutSeconds: 120 },
    ...patch,
  };
}

/** The problems `parseScenario` reports for `raw` (one line each, path first); none when it is valid. */
export function scenarioProblems(raw: unknown): string[] {
  try {
    parseScenario(raw);
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems;
    throw err;
  }
  return [];
}
