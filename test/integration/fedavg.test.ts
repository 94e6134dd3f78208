/**
 * The fedavg arm on the real training engine (MoCo-v2, tiny synthetic data, in-process
 * wasm clients): relay, joint and fedavg in one results.json and report, the averaged
 * states restore on a client (each round is evaluated), and the queue part is taken whole.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../client/backend.js';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { TrainingEngine } from '../../client/engine/index.js';
import { decodeState } from '../../shared/state/model-state.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { silentLogger } from '../../shared/log.js';
import { readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('fedavg on the training engine', () => {
  const tempDir = useTempDir('streamssl-fedavg-real-');

  it('trains relay, joint and fedavg on the same scenario and budget, and scores the averaged model every round', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({
      name: 'fedavg-real',
      dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
      stream: { type: 'random-class', chunks: 2 },
      ssl: { method: 'moco-v2', queueSize: 32 },
      training: { epochsPerChunk: 2, batchSize: 16 },
      arms: [
        { name: 'relay', mode: 'relay' },
        { name: 'joint', mode: 'joint' },
        { name: 'fedavg', mode: 'fedavg', rounds: 2 },
      ],
      evaluation: { everyStage: true, trainSamples: 40, testSamples: 40, linear: { epochs: 2 } },
      clients: { backend: 'wasm', threads: 1, stageTimeoutSeconds: 120 },
    });
    const backend = await selectBackend('wasm', { threads: 1 });
    const handles: ClientHandle[] = [];
    const launch: ClientLauncher = async ({ url, token, count }) => {
      for (let i = 0; i < count; i++) handles.push(await startClient({ url, token, engine: new TrainingEngine(backend), clientId: `c${i}`, backend: 'wasm', logger: silentLogger() }));
      return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
    };
    const summary = await runScenario({ scenario, outDir: dir, clients: 2, launch, logger: silentLogger() });
    expect(summary.failures).toEqual([]);

    const results = await readResults(dir);
    const steps = results.arms.map((a) => a.final!.steps);
    expect(steps[0]).toBeGreaterThan(0);
    expect(steps).toEqual([steps[0], steps[0], steps[0]]);
    const fedavg = results.arms.find((a) => a.mode === 'fedavg')!;
    expect(fedavg.stages).toHaveLength(2);
    expect(fedavg.stages.every((s) => s.eval !== null && Number.isFinite(s.loss.last))).toBe(true);
    expect(fedavg.final!.linearTop1).toBeGreaterThanOrEqual(0);

    const store = new CheckpointStore(dir);
    const averaged = decodeState((await store.read('fedavg', 1)).state);
    expect(averaged.method).toBe('moco-v2');
    expect(Object.keys(averaged.methodState).sort()).toEqual(['key', 'online', 'queue']);
    expect(averaged.partMeta).toEqual({ queue: { combine: 'whole', arrays: { queue: 'unit-rows', pointer: 'position' } } });
    expect(averaged.optimizer).not.toBeNull();

    const report = await readFile(join(dir, 'report.md'), 'utf8');
    for (const heading of ['## relay (relay, fine-tune)', '## joint (joint)', '## fedavg (fedavg, 2 round(s)']) expect(report).toContain(heading);
  }, 300_000);
});
