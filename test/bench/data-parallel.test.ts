/**
 * The data-parallel comparison (bench/data-parallel.ts, bench/data-parallel/): a
 * replica's part of the scenario, gradients averaged through a shared buffer by real
 * threads, replicas that stay one model, the comparison's table, and the script end to
 * end with one process per way of running the step.
 */
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SharedGradients, sharedGradientBytes } from '../../bench/data-parallel/shared-gradients.js';
import { replicaScenario } from '../../bench/data-parallel/replica-scenario.js';
import { runReplicas } from '../../bench/data-parallel/replicas.js';
import { modeArg, parseMode, summarizeModes, summaryText, type ModeResult } from '../../bench/data-parallel/compare.js';
import { entryFile } from '../../shared/code-location.js';
import { tsxImportArgs } from '../../server/clients/node-process.js';
import { tinyScenario } from '../support/scenario.js';

describe('replicaScenario', () => {
  it('gives each replica its part of the batch and whole batch-norm groups', () => {
    const s = tinyScenario({ training: { batchSize: 32 }, ssl: { method: 'moco-v2', bnGroups: 4 } });
    const part = replicaScenario(s, 2);
    expect(part.training.batchSize).toBe(16);
    expect(part.ssl.bnGroups).toBe(2);
    expect(s.training.batchSize).toBe(32); // the scenario itself is untouched
  });

  it('refuses methods whose loss couples the batch, and parts that do not divide, naming them', () => {
    expect(() => replicaScenario(tinyScenario({ ssl: { method: 'simclr' } }), 2)).toThrow(/ssl.method simclr couples the samples of a batch/);
    expect(() => replicaScenario(tinyScenario({ ssl: { method: 'barlow-twins' } }), 2)).toThrow(/ssl.method barlow-twins/);
    expect(() => replicaScenario(tinyScenario({ training: { batchSize: 32 } }), 3)).toThrow(/training.batchSize 32 does not split into 3 equal parts/);
    expect(() => replicaScenario(tinyScenario({ training: { batchSize: 32 }, ssl: { method: 'moco-v2', bnGroups: 2 } }), 4)).toThrow(/ssl.bnGroups 2 does not split into 4 replicas/);
  });
});

describe('SharedGradients', () => {
  const buffer = (replicas: number, floats: number) => new SharedArrayBuffer(sharedGradientBytes({ replicas, floats }));

  it('with one replica, returns its own gradients', () => {
    const g = new SharedGradients(buffer(1, 5), { replicas: 1, floats: 5 }, 0);
    expect([...g.average([new Float32Array([1, 2]), new Float32Array([3, 4, 5])])]).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses parts of another size, a buffer of another layout and an index outside it', () => {
    const g = new SharedGradients(buffer(1, 4), { replicas: 1, floats: 4 }, 0);
    expect(() => g.average([new Float32Array(3)])).toThrow(/the parts hold 3 floats, the layout 4/);
    expect(() => g.average([new Float32Array(5)])).toThrow(/more than the layout's 4 floats/);
    expect(() => new SharedGradients(buffer(2, 4), { replicas: 1, floats: 4 }, 0)).toThrow(/does not hold 1 sections of 4 floats/);
    expect(() => new SharedGradients(buffer(2, 4), { replicas: 2, floats: 4 }, 2)).toThrow(/replica index 2 is not in 0..1/);
  });

  it('refuses to wait forever for a replica that never comes, naming the wait', () => {
    const g = new SharedGradients(buffer(2, 2), { replicas: 2, floats: 2 }, 1, 50);
    expect(() => g.average([new Float32Array([1, 2])])).toThrow(/replica 1 waited 50 ms for the other replicas after writing its gradients/);
  });

  it('gives every thread the same mean of every thread\'s gradients, step after step', async () => {
    // Real threads on one buffer; the module is the build's JavaScript (a worker cannot load TypeScript).
    const module = pathToFileURL(entryFile('bench/data-parallel/shared-gradients')).href;
    const replicas = 3;
    const floats = 1000;
    const shared = new SharedArrayBuffer(sharedGradientBytes({ replicas, floats }));
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.module).then(({ SharedGradients }) => {
        const { shared, replicas, floats, index } = workerData;
        const g = new SharedGradients(shared, { replicas, floats }, index, 20000);
        const steps = [];
        for (let step = 0; step < 3; step++) {
          const part = new Float32Array(floats).map((_, i) => (index + 1) * (i + 1) + step * 0.1);
          steps.push(Array.from(g.average([part.subarray(0, 10), part.subarray(10)])));
        }
        parentPort.postMessage(steps);
      });`;
    const results = await Promise.all(
      Array.from({ length: replicas }, (_, index) =>
        new Promise<number[][]>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { module, shared, replicas, floats, index } });
          w.once('message', (m: number[][]) => {
            resolve(m);
            void w.terminate();
          });
          w.once('error', reject);
        }),
      ),
    );
    for (let step = 0; step < 3; step++) {
      // Mean over replicas r = 0..2 of (r + 1) * (i + 1) + 0.1 * step, in float32.
      const expected = Array.from({ length: floats }, (_, i) => {
        const parts = [1, 2, 3].map((k) => Math.fround(k * (i + 1) + step * 0.1));
        return Math.fround(Math.fround(Math.fround(parts[0] + parts[1]) + parts[2]) * (1 / 3));
      });
      for (const r of results) expect(r[step]).toEqual(expected);
    }
  });
});

describe('runReplicas', () => {
  it('trains replicas on their parts of the batch that stay one model, each on one thread', async () => {
    const scenario = tinyScenario({ training: { batchSize: 8 }, ssl: { method: 'moco-v2', queueSize: 64, bnGroups: 2 } });
    const r = await runReplicas(scenario, { replicas: 2, seed: 3, warmupSteps: 1, steps: 2 });
    // runReplicas throws when the digests differ; one is returned when they agree.
    expect(r.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(r.msPerStep).toBeGreaterThan(0);
    expect(r.runs).toHaveLength(2);
    for (const runs of r.runs) expect(runs).toMatch(/on 1 thread/);
  });

  it('refuses a scenario it cannot split before any thread starts', async () => {
    await expect(runReplicas(tinyScenario({ ssl: { method: 'simclr' } }), { replicas: 2, seed: 1, warmupSteps: 0, steps: 1 })).rejects.toThrow(/simclr couples the samples/);
  });
});

describe('the comparison', () => {
  const result = (mode: string, msPerStep: number): ModeResult => ({ mode: parseMode(mode), msPerStep, runs: ['wasm'] });

  it('takes lower medians over pairs and each pair its own gain', () => {
    const pairs = [
      [result('threads:1', 100), result('threads:2', 80), result('replicas:2', 70)],
      [result('threads:1', 120), result('threads:2', 75), result('replicas:2', 90)],
      [result('threads:1', 110), result('threads:2', 90), result('replicas:2', 60)],
    ];
    const s = summarizeModes(pairs, 64);
    expect(s.map((m) => m.msPerStep)).toEqual([110, 80, 70]);
    expect(s[2].gain).toBeCloseTo(110 / 70, 10);
    expect(s[1].pairGains).toEqual([100 / 80, 120 / 75, 110 / 90]);
    expect(s[0].imagesPerSecond).toBeCloseTo(64000 / 110, 10);
    const text = summaryText('tiny', s);
    expect(text[0]).toMatch(/^tiny: ms a step \(lower median of 3 alternating pairs\)/);
    expect(text[3]).toMatch(/^ {2}2 replicas, batch split +70\.0 ms +914\.3 img\/s +1\.57x \(pairs 1\.43x, 1\.33x, 1\.83x; 1\.33x-1\.83x\); wasm$/);
    expect(() => summarizeModes([pairs[0], pairs[1].slice(1)], 64)).toThrow(/every pair must hold a result of every mode/);
  });

  it('reads the modes it writes and refuses others', () => {
    expect(modeArg(parseMode('replicas:3'))).toBe('replicas:3');
    expect(parseMode('threads:2')).toEqual({ kind: 'threads', threads: 2 });
    expect(() => parseMode('threads:0')).toThrow(/--mode must be threads:N or replicas:N with N >= 1, got "threads:0"/);
    expect(() => parseMode('copies:2')).toThrow(/got "copies:2"/);
  });

  it('runs end to end: one process per way, in alternating pairs', () => {
    const tiny = ['model.widths=[4,8]', 'model.blocksPerStage=1', 'model.projectionHidden=16', 'model.projectionDim=8', 'training.batchSize=8', 'dataset={"name":"synthetic","imageSize":8}', 'ssl.queueSize=64'];
    const out = execFileSync(process.execPath, [...tsxImportArgs(), 'bench/data-parallel.ts', '--scenario', 'scenarios/quickstart.json', ...tiny.flatMap((s) => ['--set', s]), '--pairs', '1', '--steps', '1', '--warmup', '0'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^quickstart \(moco-v2, batch 8\): ms a step \(lower median of 1 alternating pairs\)/);
    expect(lines[1]).toMatch(/^ {2}whole batch, 1 thread +\d+\.\d ms .* 1\.00x; wasm.* on 1 thread$/);
    expect(lines[2]).toMatch(/^ {2}whole batch, 2 threads +\d+\.\d ms .*\(pairs \d+\.\d\dx; .*\); wasm.* on 2 threads$/);
    expect(lines[3]).toMatch(/^ {2}2 replicas, batch split +\d+\.\d ms .*; wasm.* on 1 thread$/);
  });

  it('refuses fewer than two replicas, and a scenario they cannot split, before any process runs', () => {
    const run = (...args: string[]) => execFileSync(process.execPath, [...tsxImportArgs(), 'bench/data-parallel.ts', '--scenario', 'scenarios/quickstart.json', ...args], { stdio: 'pipe', timeout: 60_000 });
    expect(() => run('--replicas', '1')).toThrow(/--replicas must be at least 2, got 1/);
    expect(() => run('--set', 'ssl.method=simclr')).toThrow(/ssl.method simclr couples the samples of a batch/);
  });
});
