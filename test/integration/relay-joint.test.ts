/**
 * A real coordinator and two real client processes (the training engine on the wasm
 * backend) finish a tiny relay and a tiny joint arm on synthetic data; the relay's replay
 * buffer (a fraction) holds exactly the samples its uploads are bounded by.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../../server/report/results.js';
import { runScenario } from '../../server/run/run.js';
import { planArm } from '../../server/schedule/index.js';
import { replayCeilings } from '../../server/schedule/replay-ceiling.js';
import { silentLogger } from '../../shared/log.js';
import { parseScenario, type Scenario } from '../../shared/scenario.js';
import { decodeReplay } from '../../shared/state/replay-buffer.js';
import type { TrainTask } from '../../shared/tasks.js';

describe('relay and joint with real client processes', () => {
  let dir: string;
  let results: Results;
  let scenario: Scenario;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-e2e-'));
    scenario = parseScenario({
      name: 'e2e',
      seed: 11,
      dataset: { name: 'synthetic', perClass: 30, imageSize: 12 },
      stream: { type: 'random-class', chunks: 2 },
      model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
      ssl: { queueSize: 64 },
      training: { epochsPerChunk: 1, batchSize: 32 },
      arms: [
        { name: 'relay', mode: 'relay', strategy: { name: 'replay', fraction: 0.2, ratio: 0.25 } },
        { name: 'joint', mode: 'joint' },
      ],
      evaluation: { trainSamples: 100, testSamples: 60, linear: { epochs: 3 } },
      clients: { backend: 'wasm', stageTimeoutSeconds: 120 },
    });
    await runScenario({ scenario, outDir: dir, clients: 2, logger: silentLogger() });
    results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes results.json in the designed shape', () => {
    expect(results.backend).toBe('wasm');
    for (const v of [results.randomInit.knnTop1, results.randomInit.linearTop1]) expect(v).toBeGreaterThanOrEqual(0);
    expect(results.arms.map((a) => [a.name, a.mode])).toEqual([
      ['relay', 'relay'],
      ['joint', 'joint'],
    ]);
    const [relay, joint] = results.arms;
    expect(relay.stages.map((s) => s.chunk)).toEqual([0, 1]);
    expect(joint.stages[0].chunk).toEqual([0, 1]);
    for (const stage of [...relay.stages, ...joint.stages]) {
      expect(Number.isFinite(stage.loss.first) && Number.isFinite(stage.loss.last)).toBe(true);
      expect(stage.trainSeconds).toBeGreaterThan(0);
      expect(stage.eval!.knnTop1).toBeGreaterThanOrEqual(0);
      expect(stage.eval!.knnTop1).toBeLessThanOrEqual(1);
    }
    expect(relay.final!.knnTop1).toBe(relay.stages[1].eval!.knnTop1);
    expect(joint.final!.steps).toBe(relay.final!.steps);
  });

  it('checkpoints every stage and writes the report', () => {
    for (const file of ['checkpoints/relay/stage-0.state', 'checkpoints/relay/stage-0.replay', 'checkpoints/relay/stage-1.state', 'checkpoints/joint/stage-0.state', 'report.md']) {
      expect(existsSync(join(dir, file)), file).toBe(true);
    }
  });

  it("keeps in the relay's replay buffer exactly the samples of the plan's ceiling, which bounds its uploads", async () => {
    const chunkSizes = results.stream.chunks.map((c) => c.size);
    const ceilings = replayCeilings(planArm({ scenario, arm: scenario.arms[0], chunkSizes }) as TrainTask[], chunkSizes);
    expect(ceilings).toEqual([Math.round(0.2 * chunkSizes[0]), Math.round(0.2 * chunkSizes[0]) + Math.round(0.2 * chunkSizes[1])]);
    for (const stage of [0, 1]) {
      expect(decodeReplay(await readFile(join(dir, `checkpoints/relay/stage-${stage}.replay`))).count, `stage ${stage}`).toBe(ceilings[stage]);
    }
  });
});
