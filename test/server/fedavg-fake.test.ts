/**
 * The fedavg arm through a real coordinator with in-process fake clients whose states are
 * real ModelStates: rounds run in parallel, states are averaged weighted by chunk size,
 * every round is checkpointed and journaled, results and report show fedavg beside relay
 * and joint at the same total steps, and a cut-short fedavg arm resumes after its last round.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeState } from '../../shared/state/model-state.js';
import { silentLogger } from '../../shared/log.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { resumeRun } from '../../server/run/resume.js';
import { runScenario } from '../../server/run/run.js';
import { inProcessClients } from '../support/launcher.js';
import { ModelStateFakeEngine, onlineWeight } from '../support/model-state-engine.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const arms = [
  { name: 'relay', mode: 'relay' },
  { name: 'joint', mode: 'joint' },
  { name: 'fedavg', mode: 'fedavg', rounds: 2 },
];

describe('the fedavg arm (in-process fake clients)', () => {
  const tempDir = useTempDir('streamssl-fedavg-');
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('runs relay, joint and fedavg in one run at the same total steps, averaging by chunk size', async () => {
    const scenario = tinyScenario({ arms });
    const clients = inProcessClients({ trainDelayMs: 20 }, (o) => new ModelStateFakeEngine(o));
    const summary = await runScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(summary.failures).toEqual([]);

    const results = await readResults(dir);
    expect(results.arms.map((a) => [a.name, a.mode, a.final?.steps])).toEqual([
      ['relay', 'relay', 22],
      ['joint', 'joint', 22],
      ['fedavg', 'fedavg', 22],
    ]);
    const fedavg = results.arms[2];
    expect(fedavg.rounds).toBe(2);
    // chunk steps 7, 7, 8 over two rounds: 4 + 4 + 4, then 3 + 3 + 4
    expect(fedavg.stages.map((s) => [s.stage, s.chunk, s.steps])).toEqual([
      [0, [0, 1, 2], 12],
      [1, [0, 1, 2], 10],
    ]);
    const calls = clients.engines.flatMap((e) => e.calls.map((c) => c.taskId)).filter((id) => id.startsWith('fedavg'));
    expect(calls.sort()).toEqual(['fedavg:round-0:chunk-0', 'fedavg:round-0:chunk-1', 'fedavg:round-0:chunk-2', 'fedavg:round-0:eval', 'fedavg:round-1:chunk-0', 'fedavg:round-1:chunk-1', 'fedavg:round-1:chunk-2', 'fedavg:round-1:eval']);

    // Chunk k adds (k + 1) each round; weights are the chunk sizes 100, 110, 120.
    const roundGain = (1 * 100 + 2 * 110 + 3 * 120) / 330;
    const store = new CheckpointStore(dir);
    const round0 = (await store.read('fedavg', 0)).state;
    const round1 = decodeState((await store.read('fedavg', 1)).state);
    expect(onlineWeight(round0)[0]).toBeCloseTo(roundGain, 5);
    expect(round1.methodState.online.w.values[0]).toBeCloseTo(2 * roundGain, 5);
    expect(round1.methodState.online.w.values[1]).toBeCloseTo(20 * roundGain, 4);
    // The queue comes whole from the largest chunk's client; optimizer momentum is averaged.
    expect([...round1.methodState.queue.queue.values]).toEqual([2, 2]);
    expect(round1.optimizer!.w.values[0]).toBeCloseTo((110 + 240) / 330, 5);
    // The final evaluation scored the averaged state (the fake's accuracy is w[0] / 100).
    expect(fedavg.final!.knnTop1).toBeCloseTo((2 * roundGain) / 100, 5);

    expect(results.computeMatching).toMatch(/fedavg arm fedavg runs 2 round\(s\).*7, 7, 8.*22 steps/);
    expect(results.coordinatorOverhead!.samples).toBeGreaterThan(0);
    expect(fedavg.coordinatorOverhead!.samples).toBeGreaterThanOrEqual(1);
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/## fedavg \(fedavg, 2 round\(s\)/);
    expect(report).toMatch(/\| fedavg \| fedavg \(2 rounds\) \|/);
    expect(report).toMatch(/Coordinator overhead per stage, all arms .*: mean [\d.]+ ms/);
  });

  it('a fedavg arm cut short resumes after its last finished round and ends as an uninterrupted run', async () => {
    const scenario = tinyScenario({ arms: [arms[2]] });
    const makeEngine = (o: object) => new ModelStateFakeEngine(o);
    await runScenario({ scenario, outDir: join(dir, 'whole'), resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients({}, makeEngine).launcher, logger: silentLogger() });
    const cut = join(dir, 'cut');
    const failing = inProcessClients({ failOn: (t) => t.taskId === 'fedavg:round-1:chunk-1' }, makeEngine);
    const first = await runScenario({ scenario, outDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: failing.launcher, logger: silentLogger() });
    expect(first.failures.map((f) => f.arm)).toEqual(['fedavg']);
    expect(first.failures[0].error).toMatch(/^arm fedavg, stage 1: .*fedavg:round-1:chunk-1/);

    const healthy = inProcessClients({}, makeEngine);
    const resumed = await resumeRun({ runDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: healthy.launcher, logger: silentLogger() });
    expect(resumed.failures).toEqual([]);
    expect(healthy.engines.flatMap((e) => e.calls.map((c) => c.taskId)).sort()).toEqual(['fedavg:round-1:chunk-0', 'fedavg:round-1:chunk-1', 'fedavg:round-1:chunk-2', 'fedavg:round-1:eval']);
    expect(comparableResults(await readResults(cut))).toEqual(comparableResults(await readResults(join(dir, 'whole'))));
    expect(await checkpointFiles(cut)).toEqual(await checkpointFiles(join(dir, 'whole')));
  });
});
