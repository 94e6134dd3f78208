/**
 * A scenario over several seeds with in-process fake clients: one run per seed in its own
 * folder on one session, results.json with every seed's results and statistics equal to
 * what the per-seed numbers give, and a cut-short multi-seed run resumed where it stopped.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { EvalTask, TrainTask } from '../../shared/tasks.js';
import { resumeRun } from '../../server/run/resume.js';
import { runSeededScenario } from '../../server/run/seeds.js';
import { withSeedCount } from '../../shared/scenario-seeds.js';
import type { SeedFields } from '../../server/report/seeds/seed-results.js';
import { pairedDifference, summarize, tQuantile } from '../../server/report/seeds/statistics.js';
import type { Results } from '../../server/report/results.js';
import { FAKE_RESULT_CHECK, FakeEngine, type FakeEngineOptions } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

/** A fake engine whose accuracies depend on the task's seed (joint less than relay), recording every task it got. */
class SeededEngine extends FakeEngine {
  readonly tasks: Array<TrainTask | EvalTask> = [];

  constructor(options: FakeEngineOptions) {
    super(options);
  }

  override async train(...args: Parameters<FakeEngine['train']>) {
    const [task] = args;
    this.tasks.push(task);
    const out = await super.train(...args);
    const shift = (task.seed % 2) * (task.arm === 'joint' ? 0.03 : 0.05) + (task.arm === 'relay-replay' ? 0.01 * (task.seed % 3) : 0);
    const e = out.metrics.eval;
    return e ? { ...out, metrics: { ...out.metrics, eval: { ...e, knnTop1: e.knnTop1 + shift, linearTop1: e.linearTop1 + shift / 2 } } } : out;
  }

  override async evaluate(task: EvalTask, state: Uint8Array | null) {
    this.tasks.push(task);
    const m = await super.evaluate(task, state);
    return { ...m, knnTop1: m.knnTop1 + 0.02 * (task.seed % 2) };
  }
}

function seededClients(options: FakeEngineOptions = {}) {
  const clients = inProcessClients(options, (o) => new SeededEngine(o));
  const tasks = () => clients.engines.flatMap((e) => (e as SeededEngine).tasks);
  return { ...clients, tasks };
}

type SeedResults = Results & SeedFields;

async function readSeedResults(dir: string): Promise<SeedResults> {
  return JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as SeedResults;
}

describe('a scenario over several seeds (in-process fake clients)', () => {
  const tempDir = useTempDir('streamssl-seeds-');
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('--seeds 2 runs every arm and the floor once per seed, and results.json holds both seeds and their statistics', async () => {
    const scenario = withSeedCount(tinyScenario(), 2);
    expect(scenario.seeds).toEqual([7, 8]);
    const clients = seededClients();
    const summary = await runSeededScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(summary.failures).toEqual([]);

    // One run folder per seed, each with today's layout.
    for (const seed of [7, 8]) {
      for (const file of ['journal.json', 'results.json', 'report.md', 'checkpoints/relay-replay/stage-2.state', 'checkpoints/joint/stage-0.state']) expect(existsSync(join(dir, `seed-${seed}`, file))).toBe(true);
    }
    expect(existsSync(join(dir, 'seeds.json'))).toBe(true);

    // The seed reaches every task; the split stays at the scenario's seed; ids on the wire say the seed.
    const train = clients.tasks().filter((t): t is TrainTask => t.kind === 'train');
    expect(new Set(train.map((t) => t.seed))).toEqual(new Set([7, 8]));
    expect(new Set(train.map((t) => t.data.seed))).toEqual(new Set([7]));
    expect(train.filter((t) => t.taskId === 'seed-8:relay-replay:stage-1')).toHaveLength(1);
    const evals = clients.tasks().filter((t): t is EvalTask => t.kind === 'eval');
    expect(evals.map((t) => [t.taskId, t.seed, t.splitSeed]).sort()).toEqual([
      ['seed-7:random-init:eval', 7, undefined],
      ['seed-8:random-init:eval', 8, 7],
    ]);

    const results = await readSeedResults(dir);
    expect(results.seeds.map((s) => [s.seed, s.dir, s.arms.length])).toEqual([
      [7, 'seed-7', 3],
      [8, 'seed-8', 3],
    ]);
    // Top level: the first seed's arms and floor, as a single run has them, and the scenario with its seeds.
    const first = await readResults(join(dir, 'seed-7'));
    expect(results.arms).toEqual(first.arms);
    expect(results.randomInit).toEqual(first.randomInit);
    expect(results.scenario.seeds).toEqual([7, 8]);

    const st = results.statistics;
    expect(st.seeds).toEqual([7, 8]);
    expect(st.reference).toBe('joint');
    expect(st.seedsVary).toBe('training');
    const finals = (arm: string) => results.seeds.map((s) => s.arms.find((a) => a.name === arm)!.final!);
    for (const arm of ['relay-finetune', 'relay-replay', 'joint']) {
      const s = st.arms.find((a) => a.name === arm)!;
      const knn = finals(arm).map((f) => f.knnTop1);
      expect(s.seeds).toEqual([7, 8]);
      expect(s.metrics!.knnTop1.values).toEqual(knn);
      expect(s.metrics!.knnTop1.mean).toBeCloseTo((knn[0] + knn[1]) / 2, 12);
      expect(s.metrics!.knnTop1.sd).toBeCloseTo(Math.abs(knn[0] - knn[1]) / Math.SQRT2, 12);
      expect(s.metrics!.knnTop1.halfWidth).toBeCloseTo((12.7062 * s.metrics!.knnTop1.sd!) / Math.SQRT2, 3);
      expect(s.metrics!.linearTop1).toEqual(summarize(finals(arm).map((f) => f.linearTop1)));
    }
    // Seed 7 (odd) lifts relay by 0.05 and joint by 0.03: the differences are not constant.
    const replay = st.arms.find((a) => a.name === 'relay-replay')!;
    const diffs = finals('relay-replay').map((f, i) => f.knnTop1 - finals('joint')[i].knnTop1);
    expect(replay.vsReference!.knnTop1.values).toEqual(diffs);
    expect(replay.vsReference!.knnTop1).toEqual(pairedDifference(finals('relay-replay').map((f) => f.knnTop1), finals('joint').map((f) => f.knnTop1)));
    expect(replay.vsReference!.knnTop1.halfWidth).toBeCloseTo((tQuantile(0.975, 1) * Math.abs(diffs[0] - diffs[1])) / 2, 12);
    expect(st.arms.find((a) => a.name === 'joint')!.vsReference).toBeUndefined();
    expect(replay.vsRandomInit!.knnTop1.values).toEqual(finals('relay-replay').map((f, i) => f.knnTop1 - results.seeds[i].randomInit.knnTop1));
    expect(st.randomInit.knnTop1.values).toEqual(results.seeds.map((s) => s.randomInit.knnTop1));
    expect(st.randomInit.knnTop1.values[0]).toBeCloseTo(0.12, 12);
    expect(st.randomInit.knnTop1.values[1]).toBeCloseTo(0.1, 12);
    // The fake engine scores no chunks: no forgetting to summarize (seed-results.test.ts has it).
    expect(replay.metrics!.averageForgetting).toBeUndefined();

    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toContain('over 2 seeds');
    expect(report).toMatch(/\| relay-replay \| .* \| 2 \| \d+\.\d ± \d+\.\d \|/);
    expect(report).toContain('[seed 8](seed-8/report.md)');
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(existsSync(join(dir, 'plots', 'seeds-knn-by-stage.svg'))).toBe(true);
  });

  it('resumes a cut-short multi-seed run where it stopped and ends as an uninterrupted one', async () => {
    const scenario = withSeedCount(tinyScenario(), 2);
    const whole = join(dir, 'whole');
    const cut = join(dir, 'cut');
    await runSeededScenario({ scenario, outDir: whole, resultCheck: FAKE_RESULT_CHECK, launch: seededClients().launcher, logger: silentLogger() });

    const failing = seededClients({ failOn: (t) => t.seed === 8 && (t.arm === 'relay-replay' ? t.stage === 2 : t.arm === 'joint') });
    const first = await runSeededScenario({ scenario, outDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: failing.launcher, logger: silentLogger() });
    expect(first.failures.map((f) => f.arm).sort()).toEqual(['joint (seed 8)', 'relay-replay (seed 8)']);
    expect((await readSeedResults(cut)).statistics.arms.find((a) => a.name === 'joint')!.seeds).toEqual([7]);

    const healthy = seededClients();
    const resumed = await resumeRun({ runDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: healthy.launcher, logger: silentLogger() });
    expect(resumed.failures).toEqual([]);
    expect(healthy.tasks().map((t) => t.taskId).sort()).toEqual(['seed-8:joint:stage-0', 'seed-8:relay-replay:stage-2']);

    for (const seed of [7, 8]) {
      const sub = `seed-${seed}`;
      expect(comparableResults(await readResults(join(cut, sub)))).toEqual(comparableResults(await readResults(join(whole, sub))));
      expect(await checkpointFiles(join(cut, sub))).toEqual(await checkpointFiles(join(whole, sub)));
    }
    expect((await readSeedResults(cut)).statistics).toEqual((await readSeedResults(whole)).statistics);
  });

  it('with one client the seeds run one after the other, on one session', async () => {
    const clients = seededClients();
    await runSeededScenario({ scenario: withSeedCount(tinyScenario(), 2), outDir: dir, clients: 1, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(clients.engines).toHaveLength(1);
    const seeds = clients.tasks().map((t) => t.seed);
    expect(seeds.indexOf(8)).toBeGreaterThan(seeds.lastIndexOf(7));
    expect((await readSeedResults(dir)).statistics.arms.map((a) => a.seeds)).toEqual([[7, 8], [7, 8], [7, 8]]);
  });

  it('a scenario without seeds runs as before: one run folder, no seed fields', async () => {
    const summary = await runSeededScenario({ scenario: tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }, { name: 'joint', mode: 'joint' }] }), outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients().launcher, logger: silentLogger() });
    expect(existsSync(join(dir, 'seeds.json'))).toBe(false);
    expect(existsSync(join(dir, 'checkpoints', 'relay', 'stage-0.state'))).toBe(true);
    const results = (await readResults(dir)) as Results & Partial<SeedFields>;
    expect(results.seeds).toBeUndefined();
    expect(results.statistics).toBeUndefined();
    expect(Object.keys(results.scenario)).not.toContain('seeds');
    expect(summary.report).not.toContain('±');
  });
});
