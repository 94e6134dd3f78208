/**
 * Smoke test of `streamssl bench`: the real CLI, child processes and coordinator, on the
 * tiny configuration with --quick. Checks the JSON shape and that every figure is
 * positive, not the figures themselves.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/report-types.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/streamssl.mjs', import.meta.url));

describe('streamssl bench --quick --json', () => {
  it('measures MoCo throughput and evaluation per thread count and a hand-off, as one JSON object', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'bench', '--quick', '--json', '--config', 'tiny', '--threads', '1,2', '--handoff', 'tiny', '--backend', 'wasm', '--handoff-sizes', 'tiny,small', '--overhead-clients', '2,6', '--handoff-encodings', 'float32,float16+deflate', '--startup', '1', '--rounds', '2'], {
      timeout: 150_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as BenchReport;
    expect(report.backend).toBe('wasm');
    expect(report.moco.map((r) => [r.config, r.widths, r.batch, r.threads])).toEqual([
      ['tiny', [8, 16, 32, 64], 16, 1],
      ['tiny', [8, 16, 32, 64], 16, 2],
    ]);
    // Each row followed by PyTorch's where python3 imports torch, else the reason why not.
    if (report.torchMissing === undefined) for (const r of report.moco) expect(r.torch!.imgPerSec).toBeGreaterThan(0);
    else expect(report.moco.filter((r) => r.torch !== undefined)).toEqual([]);
    // Two rounds: each row is one of its rounds, and the thread counts are compared within each.
    const [one, two] = report.moco;
    for (const r of report.moco) expect(r.rounds!.map((x) => x.imgPerSec)).toContain(r.imgPerSec);
    expect(report.threadScaling).toEqual([expect.objectContaining({ config: 'tiny', threads: 2, baseThreads: 1 })]);
    expect(report.threadScaling![0].ratios).toEqual([0, 1].map((i) => two.rounds![i].imgPerSec / one.rounds![i].imgPerSec));
    // Two one-thread copies at once beside each round's rows (--copies auto), judged against that round's one-thread row.
    expect(report.copies!.map((c) => [c.config, c.round, c.imgPerSec.length])).toEqual([['tiny', 0, 2], ['tiny', 1, 2]]);
    for (const c of report.copies!) {
      for (const x of c.imgPerSec) expect(x).toBeGreaterThan(0);
      expect(c.totalImgPerSec).toBeCloseTo(c.imgPerSec[0] + c.imgPerSec[1], 9);
      expect(c.overlap).toBeGreaterThanOrEqual(0);
      expect(c.overlap).toBeLessThanOrEqual(1);
    }
    expect(report.threadScaling![0].copiesRatios).toEqual([0, 1].map((i) => report.copies![i].totalImgPerSec / one.rounds![i].imgPerSec));
    for (const r of report.moco) {
      expect(r.backend).toBe('wasm');
      expect(r.batchNorm).toBe('fused'); // the bench's defaults
      expect(r.convolutions).toBe('winograd');
      for (const v of [r.imgPerSec, r.gflops, r.flopsPerImage, r.seconds, r.stepMs.total, r.stepMs.data, r.stepMs.forward, r.stepMs.optimizer]) {
        expect(v).toBeGreaterThan(0);
      }
      expect(r.stepMs.backward).toBeGreaterThanOrEqual(0);
      expect(r.stepMs.dataWait).toBeGreaterThanOrEqual(0);
      expect(r.steps).toBeGreaterThanOrEqual(2);
      expect(r.breakdownSteps).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(r.loss.first) && Number.isFinite(r.loss.last)).toBe(true);
      expect(r.leakedTensors).toBe(0);
      // A training client's peak resident memory: more than Node with tfjs loaded, far under a GB.
      if (process.platform === 'linux') expect(r.peakRssMb).toBeGreaterThan(50);
      if (process.platform === 'linux') expect(r.peakRssMb).toBeLessThan(1000);
      expect(r.gflops).toBeCloseTo((r.imgPerSec * r.flopsPerImage) / 1e9, 6);
      // The same model's evaluation, at --quick's sizes.
      const e = r.eval!;
      expect([e.images, e.featureDim, e.trainSamples, e.testSamples, e.knnK, e.linearEpochs]).toEqual([256, 64, 512, 256, 20, 2]);
      for (const v of [e.extractSeconds, e.imgPerSec, e.knnSeconds, e.linearSeconds]) expect(v).toBeGreaterThan(0);
      expect(e.stageSeconds).toBeCloseTo((512 + 256) / e.imgPerSec + e.knnSeconds + e.linearSeconds, 6);
      expect(e.leakedTensors).toBe(0);
    }
    const h = report.handoff!;
    expect(h.config).toBe('tiny');
    expect(h.params).toBeGreaterThan(100_000);
    expect(h.bytes).toBeGreaterThan(4 * h.params);
    for (const v of [h.encodeSeconds, h.sendSeconds, h.decodeSeconds]) expect(v).toBeGreaterThan(0);
    expect(h.seconds).toBeCloseTo(h.encodeSeconds + h.sendSeconds + h.decodeSeconds, 9);
    // The next hand-off between the same processes, timed apart.
    const w = h.warm!;
    for (const v of [w.encodeSeconds, w.upSeconds, w.downSeconds]) expect(v).toBeGreaterThan(0);
    expect(w.decodeSeconds).toBeGreaterThanOrEqual(0);
    expect(w.sendSeconds).toBeCloseTo(w.upSeconds + w.downSeconds, 9);
    expect(w.seconds).toBeCloseTo(w.encodeSeconds + w.sendSeconds + w.decodeSeconds, 9);
    // Each encoding: in-process costs, then a hand-off whose wire bytes are the encoding's.
    expect(report.wireCosts!.map((c) => [c.config, c.transfer])).toEqual([
      ['tiny', 'float32'],
      ['tiny', 'float16+deflate'],
    ]);
    const [plainCost, lightCost] = report.wireCosts!;
    expect(plainCost.wireBytes).toBe(plainCost.stateBytes);
    expect(lightCost.wireBytes).toBeLessThan(0.55 * lightCost.stateBytes);
    expect(report.handoffEncodings!.map((r) => r.transfer)).toEqual(['float32', 'float16+deflate']);
    const [plain, light] = report.handoffEncodings!;
    expect(plain.wireBytes).toEqual({ up: plain.bytes, down: plain.bytes });
    expect(light.wireBytes!.up).toBeLessThan(0.55 * light.bytes);
    expect(light.wireBytes!.down).toBe(light.wireBytes!.up); // the coordinator re-encodes to the same halves
    for (const r of report.handoffEncodings!) expect(r.wallSeconds).toBeGreaterThanOrEqual(r.sendSeconds);
    expect(report.handoffSizes.map((r) => r.config)).toEqual(['tiny', 'small']);
    expect(report.handoffSizes[1].bytes).toBeGreaterThan(report.handoffSizes[0].bytes);
    expect(report.overhead.map((r) => [r.clients, r.chunks, r.viewer])).toEqual([
      [2, 2, false],
      [2, 2, true],
      [6, 6, false],
      [6, 6, true],
    ]);
    // The watched runs were watched: their viewer was sent the run's events.
    for (const r of report.overhead) expect(r.viewerEvents > 0).toBe(r.viewer);
    for (const r of report.overhead) {
      // relay: one hand-over per stage after the first; fedavg: at least the second round's
      expect(r.relay!.samples).toBe(r.chunks - 1);
      expect(r.fedavg!.samples).toBeGreaterThanOrEqual(1);
      expect(r.all!.maxSeconds).toBeGreaterThanOrEqual(r.all!.medianSeconds);
    }
    // One real `streamssl client` from the build, then one from the sources, each joined.
    expect(report.startup!.map((r) => [r.variant, r.clients, r.joinSeconds.length])).toEqual([
      ['compiled', 1, 1],
      ['sources', 1, 1],
    ]);
    for (const r of report.startup!) expect(r.joinSeconds[0]).toBeGreaterThan(0);
  }, 180_000);
});

describe('streamssl bench --rounds 0 --interleave', () => {
  it('measures the interleaved scaling alone and prints it', async () => {
    const args = [BIN, 'bench', '--quick', '--config', 'tiny', '--backend', 'wasm', '--rounds', '0', '--interleave', '1', '--slice-seconds', '0.2', '--torch', 'none', '--eval-seconds', '0',
      '--handoff', 'none', '--handoff-sizes', 'none', '--overhead-clients', 'none', '--startup', 'none'];
    const { stdout: json } = await run(process.execPath, [...args, '--json'], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    const report = JSON.parse(json) as BenchReport;
    expect(report.moco).toEqual([]);
    expect(report.threadScaling).toBeUndefined();
    expect(report.interleaved!.map((s) => [s.config, s.threads, s.baseThreads, s.cycles, s.ratios.length, s.copiesRatios?.length])).toEqual([['tiny', 2, 1, 1, 1, 1]]);
    const { stdout: text } = await run(process.execPath, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    expect(text).toMatch(/^thread scaling from interleaved slices \(medians over the cycles; range\):\n  tiny: 2 over 1: [0-9.]+x \([0-9.]+x-[0-9.]+x\) over 1 cycle of 0\.2 s slices\n/);
    expect(text).not.toMatch(/MoCo-v2 training step/);
  }, 240_000);
});
