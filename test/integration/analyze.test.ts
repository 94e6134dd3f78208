/**
 * `streamssl analyze` on a finished run: a tiny relay + joint run with in-process
 * clients on the real training engine, then the analyses on its checkpoints. They must
 * add the analysis fields and the report sections without training again.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { TrainingEngine } from '../../client/engine/index.js';
import { selectBackend } from '../../client/backend.js';
import { analysisScenario, analyzeRunDir, readRunResults } from '../../server/analysis/analyze.js';
import type { Results } from '../../server/report/results.js';
import { runScenario, type ClientLauncher } from '../../server/run/run.js';
import { silentLogger } from '../../shared/log.js';
import { parseScenario, type Scenario } from '../../shared/scenario.js';
import { logBuffer } from '../support/log-buffer.js';
import { quickTrainingScenario } from '../support/scenario.js';

function scenario(): Scenario {
  return parseScenario(
    quickTrainingScenario({
      name: 'analyze-e2e',
      seed: 5,
      stream: { type: 'random-class', chunks: 2 },
      evaluation: { trainSamples: 100, testSamples: 100, linear: { epochs: 3 } },
      clients: { backend: 'wasm', parallelArms: false },
      analysis: {
        probeSamples: 60,
        sharpness: { samples: 64, radii: [0.1, 0.5], draws: 2, curvePoints: 5 },
        fewShot: { ways: 3, shots: [1, 2], queries: 4, episodes: 20 },
        transfer: [{ name: 'synthetic-16', dataset: { name: 'synthetic', perClass: 40, imageSize: 16 } }],
      },
    }),
  );
}

describe('streamssl analyze', () => {
  let dir: string;
  let before: Results;
  let checkpointTimes: number[];

  let launch: ClientLauncher;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-analyze-'));
    const backend = await selectBackend('wasm');
    launch = async ({ url, token, count }) => {
      const handles: ClientHandle[] = [];
      for (let i = 0; i < count; i++) handles.push(await startClient({ url, token, engine: new TrainingEngine(backend), clientId: `c${i}`, backend: 'wasm', logger: silentLogger() }));
      return { stop: async () => void (await Promise.all(handles.map((h) => h.close()))) };
    };
    await runScenario({ scenario: scenario(), outDir: dir, clients: 1, launch, logger: silentLogger() });
    before = await readRunResults(dir);
    checkpointTimes = await Promise.all(['relay/stage-0', 'relay/stage-1', 'joint/stage-0'].map(async (p) => (await stat(join(dir, 'checkpoints', `${p}.state`))).mtimeMs));
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds CKA, sharpness, few-shot and transfer to results.json without retraining', async () => {
    await analyzeRunDir({ runDir: dir, backend: 'wasm', logger: silentLogger() });
    const after = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
    // The run's own numbers are untouched and no checkpoint was rewritten.
    expect(after.arms).toEqual(before.arms);
    expect(after.randomInit).toEqual(before.randomInit);
    const times = await Promise.all(['relay/stage-0', 'relay/stage-1', 'joint/stage-0'].map(async (p) => (await stat(join(dir, 'checkpoints', `${p}.state`))).mtimeMs));
    expect(times).toEqual(checkpointTimes);

    const a = after.analysis!;
    expect(a.spec.run).toEqual(['cka', 'sharpness', 'few-shot', 'transfer']);
    const cka = a.cka!;
    expect(cka.probeSamples).toBe(60);
    expect(cka.arms).toHaveLength(1);
    const relay = cka.arms[0];
    expect(relay.models).toEqual(['relay/stage-0', 'relay/stage-1', 'joint/stage-0']);
    expect(relay.layers).toEqual(['stage 1', 'stage 2']);
    for (const kernel of [relay.linear, relay.rbf]) {
      expect(kernel).toHaveLength(2);
      for (const m of kernel) {
        m.forEach((r, i) => {
          expect(r[i]).toBeCloseTo(1, 5);
          r.forEach((v, j) => {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1 + 1e-9);
            expect(v).toBeCloseTo(m[j][i], 12);
          });
        });
      }
    }

    const sharp = a.sharpness!;
    expect(sharp.models.map((m) => m.model)).toEqual(['relay/stage-1', 'joint/stage-0']);
    for (const m of sharp.models) {
      expect(m.perturbation.map((p) => p.radius)).toEqual([0.1, 0.5]);
      expect(m.direction.map((p) => p.alpha)).toEqual([-1, -0.5, 0, 0.5, 1]);
      // The curve passes through the model itself.
      expect(m.direction[2].loss).toBeCloseTo(m.baseLoss, 5);
    }
    expect(sharp.interpolations.map((c) => [c.from, c.to])).toEqual([
      ['relay/stage-0', 'relay/stage-1'],
      ['relay/stage-1', 'joint/stage-0'],
    ]);
    // The line passes through both models: its ends are their own losses.
    const toJoint = sharp.interpolations[1].points;
    expect(toJoint.map((p) => p.alpha)).toEqual([-0.25, 0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect(toJoint[1].loss).toBeCloseTo(sharp.models[0].baseLoss, 5);
    expect(toJoint[5].loss).toBeCloseTo(sharp.models[1].baseLoss, 5);

    const models = ['random-init', 'relay/stage-1', 'joint/stage-0'];
    expect(a.fewShot!.map((s) => [s.dataset, s.model, s.shots])).toEqual(
      ['test', 'synthetic-16'].flatMap((d) => models.flatMap((m) => [1, 2].map((k) => [d, m, k]))),
    );
    for (const s of a.fewShot!) {
      expect(s.mean).toBeGreaterThanOrEqual(0);
      expect(s.mean).toBeLessThanOrEqual(100);
      expect(s.ci95).toBeGreaterThan(0);
    }
    expect(a.transfer!.map((t) => [t.dataset, t.model])).toEqual(models.map((m) => ['synthetic-16', m]));

    const report = await readFile(join(dir, 'report.md'), 'utf8');
    for (const heading of ['## Analyses', '### Representation similarity (CKA)', '### Sharpness', '### Few-shot', '### Transfer']) expect(report).toContain(heading);
    expect(report).toContain('![relay: linear CKA between models');
    for (const plot of ['cka-relay.svg', 'cka-relay-vs-joint.svg', 'accuracy-relay.svg', 'sharpness-perturbation.svg', 'sharpness-direction.svg', 'sharpness-interpolation.svg']) {
      expect(report).toContain(`(plots/${plot})`);
      expect((await stat(join(dir, 'plots', plot))).size).toBeGreaterThan(500);
    }
  }, 240_000);

  it('gives the same numbers when run again', async () => {
    const first = (await readRunResults(dir)).analysis!;
    await analyzeRunDir({ runDir: dir, backend: 'wasm', logger: silentLogger() });
    const second = (await readRunResults(dir)).analysis!;
    expect(second.cka).toEqual(first.cka);
    expect(second.sharpness).toEqual(first.sharpness);
    expect(second.fewShot).toEqual(first.fewShot);
    expect(second.transfer).toEqual(first.transfer);
  }, 240_000);

  it('records an analysis that fails and still runs the others', async () => {
    await analyzeRunDir({
      runDir: dir,
      overrides: ['analysis.run=["few-shot","transfer"]', 'analysis.transfer=[{"name":"gone","dataset":{"name":"idx","path":"/nonexistent/idx"}}]'],
      backend: 'wasm',
      logger: silentLogger(),
    });
    const a = (await readRunResults(dir)).analysis!;
    expect(a.errors?.transfer).toMatch(/analysis\.transfer\[0\] \(gone\): .*\/nonexistent\/idx/);
    expect(a.fewShot!.every((s) => s.dataset === 'test')).toBe(true);
    expect(a.fewShot).toHaveLength(6);
    expect(a.cka).toBeUndefined();
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain('**transfer failed:**');
  }, 240_000);

  it('runs at the end of a run when the scenario asks for it', async () => {
    const out = join(dir, 'at-end');
    const atEnd = parseScenario({ ...scenario(), analysis: { ...scenario().analysis, atEnd: true, run: ['cka'] } });
    const summary = await runScenario({ scenario: atEnd, outDir: out, clients: 1, launch, logger: silentLogger() });
    expect(summary.results.analysis?.cka?.arms.map((a) => a.arm)).toEqual(['relay']);
    expect((await readRunResults(out)).analysis?.spec.run).toEqual(['cka']);
    expect(summary.report).toContain('### Representation similarity (CKA)');
  }, 240_000);

  it('changes only analysis settings, and says what is wrong with a run folder', async () => {
    expect(() => analysisScenario(before, ['training.batchSize=8'])).toThrow(/only changes analysis\.\* fields/);
    expect(analysisScenario(before, ['analysis.run=["cka"]']).analysis.run).toEqual(['cka']);
    expect(() => analysisScenario(before, ['analysis.run=["nope"]'])).toThrow(/analysis\.run\[0\]/);
    await expect(analyzeRunDir({ runDir: join(dir, 'missing'), logger: silentLogger() })).rejects.toThrow(/not a finished run: cannot read .*results\.json \(ENOENT\)/);
  });

  it('runs the analyses in a process of its own, gone when they are done', async () => {
    const logs = logBuffer();
    await analyzeRunDir({ runDir: dir, overrides: ['analysis.run=["cka"]'], backend: 'wasm', logger: logs.logger });
    const lines = logs.text().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; analysisPid?: number; backend?: string });
    const started = lines.find((line) => line.msg === 'analysis starting')!;
    expect(started.backend).toBe('wasm');
    expect(started.analysisPid).toEqual(expect.any(Number));
    expect(started.analysisPid).not.toBe(process.pid);
    expect(() => process.kill(started.analysisPid!, 0)).toThrow(/ESRCH/);
    expect(lines.map((line) => line.msg)).toContain('analysis: CKA between stage models');
    expect((await readRunResults(dir)).analysis?.cka?.arms.map((a) => a.arm)).toEqual(['relay']);
  }, 240_000);
});
