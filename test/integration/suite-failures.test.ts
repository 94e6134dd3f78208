/**
 * `streamssl suite` when a scenario cannot run: the others still run and are tabled, the
 * failed one is a row that says why, and the summary lists the failure (the CLI then
 * exits 1, as `run` does when an arm failed).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../client/backend.js';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { TrainingEngine } from '../../client/engine/index.js';
import type { ClientLauncher } from '../../server/run/run.js';
import { runSuite } from '../../server/run/suite.js';
import { silentLogger } from '../../shared/log.js';
import { useTempDir } from '../support/temp-dir.js';

const tiny = (name: string, rounds: number) => ({
  name,
  seed: 3,
  dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
  stream: { type: 'instance', chunks: 2 },
  model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
  ssl: { method: 'moco-v2', queueSize: 32, bnGroups: 1 },
  training: { epochsPerChunk: 1, batchSize: 16 },
  arms: [
    { name: 'relay', mode: 'relay' },
    { name: 'fedavg', mode: 'fedavg', rounds },
  ],
  evaluation: { everyStage: false, trainSamples: 40, testSamples: 40, linear: { epochs: 1 } },
  clients: { backend: 'wasm', threads: 1, stageTimeoutSeconds: 120 },
});

describe('a suite with a scenario that cannot run', () => {
  const tempDir = useTempDir('streamssl-suite-failures-');

  it('runs the others, tables the failure and lists it in the summary', async () => {
    const folder = tempDir();
    writeFileSync(join(folder, 'a-runs.json'), JSON.stringify(tiny('runs', 2)));
    // More rounds than the chunks have steps: refused once the stream is planned.
    writeFileSync(join(folder, 'b-too-many-rounds.json'), JSON.stringify(tiny('too-many-rounds', 1000)));
    const backend = await selectBackend('wasm', { threads: 1 });
    const launch: ClientLauncher = async ({ url, token, count }) => {
      const handles: ClientHandle[] = [];
      for (let i = 0; i < count; i++) handles.push(await startClient({ url, token, engine: new TrainingEngine(backend), clientId: `c${i}`, backend: 'wasm', logger: silentLogger() }));
      return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
    };
    const summary = await runSuite({ folder, outDir: tempDir(), clients: 2, launch, logger: silentLogger() });
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]).toMatch(/^too-many-rounds: .*rounds \(1000\) exceeds/);
    expect(summary.table).toMatch(/\| runs \| instance \| moco-v2 \| relay \| \d+\.\d \|/);
    expect(summary.table).toMatch(/\| too-many-rounds \| failed: .*rounds \(1000\) exceeds/);
  }, 180_000);
});
