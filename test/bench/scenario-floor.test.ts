/**
 * Smoke test of bench/scenario-floor.ts: the real script and its child processes on a tiny
 * scenario with --quick. Checks the report's shape and that its floors are made of its own
 * measurements, not the figures themselves.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { FloorReport } from '../../bench/scenario-floor.js';
import { floorSeconds } from '../../bench/scenario-work.js';
import { useTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../bench/scenario-floor.ts', import.meta.url));

const TINY = {
  name: 'floor-tiny',
  seed: 3,
  dataset: { name: 'synthetic', perClass: 12, imageSize: 8 },
  stream: { type: 'instance', chunks: 2 },
  model: { widths: [4, 8], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 },
  ssl: { method: 'moco-v2', queueSize: 32 },
  training: { epochsPerChunk: 2, batchSize: 16 },
  arms: [
    { name: 'relay', mode: 'relay' },
    { name: 'joint', mode: 'joint' },
  ],
  evaluation: { everyStage: true, trainSamples: 40, testSamples: 40, linear: { epochs: 2 } },
};

describe('bench/scenario-floor.ts --quick --json', () => {
  const dir = useTempDir('scenario-floor-');

  it('plans the scenario, measures its step alone and on every core at once and its evaluation, and floors the work with them', async () => {
    const file = join(dir(), 'tiny.json');
    await writeFile(file, JSON.stringify(TINY));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT, file, '--quick', '--json', '--cores', '2', '--backend', 'wasm'], { timeout: 120_000 });
    const r = JSON.parse(stdout) as FloorReport;
    expect(r).toMatchObject({ scenario: 'floor-tiny', backend: 'wasm', cores: 2 });
    // Joint trains relay's steps; relay's two stages and joint's one are scored, and the floor.
    expect(r.work.arms.map((a) => a.name)).toEqual(['relay', 'joint']);
    expect(r.work.arms[0].steps).toBe(r.work.arms[1].steps);
    expect(r.work.arms.map((a) => a.evaluations)).toEqual([2, 1]);
    expect(r.work.steps).toBe(r.work.arms[0].steps * 2);
    expect(r.work.evaluations).toBe(4);
    expect(r.alone.steps).toBe(2);
    expect(r.copies.stepMs).toHaveLength(2);
    expect(r.evaluations).toHaveLength(1);
    for (const ms of [r.alone.stepMs, ...r.copies.stepMs]) expect(ms).toBeGreaterThan(0);
    expect(r.evalSeconds).toBe(r.evaluations[0]);
    const mean = (r.copies.stepMs[0] + r.copies.stepMs[1]) / 2;
    expect(r.floorSeconds).toBeCloseTo(floorSeconds(r.work, { stepMs: mean, evalSeconds: r.evalSeconds, cores: 2 }), 9);
    const fastest = Math.min(r.alone.stepMs, ...r.copies.stepMs);
    expect(r.strictFloorSeconds).toBeCloseTo(floorSeconds(r.work, { stepMs: fastest, evalSeconds: r.evalSeconds, cores: 2 }), 9);
    expect(r.strictFloorSeconds).toBeLessThanOrEqual(r.floorSeconds);
  });

  it('refuses a bad core count, naming the option', async () => {
    const failed = run(process.execPath, ['--import', 'tsx', SCRIPT, 'scenarios/quickstart.json', '--cores', 'two'], { timeout: 60_000 });
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--cores: expected an integer >= 1, got "two"/) });
  });

  it('has its worker refuse a measurement it does not know, naming the option', async () => {
    const worker = fileURLToPath(new URL('../../bench/scenario-floor-worker.ts', import.meta.url));
    const failed = run(process.execPath, ['--import', 'tsx', worker, '--scenario', 'scenarios/quickstart.json', '--measure', 'speed'], { timeout: 60_000 });
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/--measure: expected plan, steps, eval, got "speed"/) });
  });
});
