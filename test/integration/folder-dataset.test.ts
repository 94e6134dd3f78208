/**
 * A folder dataset made of real image files (DomainNet layout, one broken file) trains
 * through a relay and a joint arm with in-process clients on the real training engine:
 * the domain stream follows the real domains, per-chunk scores use each domain's test
 * images, and the broken file is reported and skipped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../client/backend.js';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { TrainingEngine } from '../../client/engine/index.js';
import type { Results } from '../../server/report/results.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { silentLogger } from '../../shared/log.js';
import { writeBrokenImage, writeClassFolders } from '../support/image-folder.js';
import { logBuffer, type LogBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';

describe('a folder dataset through relay and joint', () => {
  let dir: string;
  let results: Results;
  let log: LogBuffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-folder-e2e-'));
    process.env.STREAMSSL_CACHE = join(dir, 'cache');
    const data = join(dir, 'data');
    for (const domain of ['quickdraw', 'clipart']) await writeClassFolders(join(data, domain), ['apple', 'bus', 'cat'], 8);
    await writeBrokenImage(join(data, 'clipart', 'cat', 'truncated.jpg'));
    const scenario = tinyScenario({
      name: 'folder-e2e',
      dataset: { name: 'folder', path: data, layout: 'auto', imageSize: 12, channels: 3, domains: ['quickdraw', 'clipart'] },
      stream: { type: 'domain', chunks: 2 },
      ssl: { queueSize: 32 },
      training: { epochsPerChunk: 1, batchSize: 8 },
      arms: [
        { name: 'relay', mode: 'relay' },
        { name: 'joint', mode: 'joint' },
      ],
      evaluation: { trainSamples: 40, testSamples: 20, linear: { epochs: 3 } },
      clients: { backend: 'wasm', parallelArms: false },
    });
    const backend = await selectBackend('wasm');
    const handles: ClientHandle[] = [];
    const launch: ClientLauncher = async ({ url, token, count }) => {
      for (let i = 0; i < count; i++) handles.push(await startClient({ url, token, engine: new TrainingEngine(backend), clientId: `c${i}`, backend: 'wasm', logger: silentLogger() }));
      return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
    };
    log = logBuffer('warn');
    const run = await runScenario({ scenario, outDir: join(dir, 'run'), clients: 1, launch, logger: log.logger });
    results = run.results;
  }, 240_000);

  afterAll(async () => {
    delete process.env.STREAMSSL_CACHE;
    await rm(dir, { recursive: true, force: true });
  });

  it('streams the real domains and reports the broken file', () => {
    const stream = results.stream as Extract<Results['stream'], { trainCount: number }>;
    expect(stream.domains).toEqual(['quickdraw', 'clipart']);
    expect(stream.chunks.map((c) => [c.domains, c.style])).toEqual([[[0], 'original'], [[1], 'original']]);
    expect(stream.trainCount + stream.testCount).toBe(48);
    expect(stream.skippedFiles?.count).toBe(1);
    expect(stream.skippedFiles?.examples[0].file).toMatch(/clipart\/cat\/truncated\.jpg$/);
    expect(log.messages(/unreadable image files were skipped/)).toHaveLength(1);
  });

  it('trains both arms and scores each domain on its own test images', () => {
    const [relay, joint] = results.arms;
    expect(relay.stages.map((s) => s.chunk)).toEqual([0, 1]);
    expect(joint.stages).toHaveLength(1);
    for (const stage of [...relay.stages, ...joint.stages]) {
      expect(Number.isFinite(stage.loss.first) && Number.isFinite(stage.loss.last)).toBe(true);
      const perChunk = stage.eval!.perChunk!;
      expect(perChunk.map((c) => c.chunk)).toEqual([0, 1]);
      // The domains partition the scored test images; each chunk gets its own domain's 6.
      expect(perChunk.map((c) => c.samples)).toEqual([6, 6]);
    }
  });
});
