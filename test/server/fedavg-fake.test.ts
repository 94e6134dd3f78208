/**
 * The fedavg arm through a real coordinator with in-process fake clients whose states are
 * real ModelStates: rounds run in parallel, states are averaged weighted by chunk size,
 * every round is checkpointed and journaled, results and report show fedavg beside relay
 * and joint at the same total steps, and a cut-short fedavg arm resumes after its last round.
 * With a round deadline, a straggler's result is dropped and counted, and the round
 * averages the others.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Progress, TrainTask } from '../../shared/tasks.js';
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

  it("keeps apart, in the coordinator's overhead, the time a task waited for a free client", async () => {
    // Two clients for a relay arm and a 3-chunk fedavg round at once: tasks must queue.
    const scenario = tinyScenario({ arms: [arms[0], arms[2]], clients: { count: 2 } });
    const clients = inProcessClients({ trainDelayMs: 150 }, (o) => new ModelStateFakeEngine(o));
    const summary = await runScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(summary.failures).toEqual([]);
    const results = await readResults(dir);
    const stages = results.arms.flatMap((a) => a.stages).filter((s) => s.overheadSeconds);
    expect(stages.length).toBeGreaterThan(0);
    for (const s of stages) {
      expect(s.clientWaitSeconds).toHaveLength(s.overheadSeconds!.length);
      s.clientWaitSeconds!.forEach((wait, i) => expect(wait).toBeLessThanOrEqual(s.overheadSeconds![i]));
    }
    // Some task found both clients busy (a fake step takes 150 ms) and waited for one.
    expect(results.clientWait!.maxSeconds).toBeGreaterThan(0.05);
    expect(results.clientWait!.samples).toBe(results.coordinatorOverhead!.samples);
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/Coordinator overhead per stage, all arms .*, of which waiting for a free client mean [\d.]+ ms, max [\d.]+ ms/);
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

  it('with a round deadline, drops the straggler’s result, averages the others, and counts it in results.json and the report', async () => {
    const straggler = 'fedavg:round-0:chunk-1';
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    /** Holds the straggler's task until the test lets it go (or 60 s), so only the deadline decides. */
    class SlowEngine extends ModelStateFakeEngine {
      override async train(task: TrainTask, state: Uint8Array | null, replay: Uint8Array | null, onProgress: (p: Progress) => void) {
        if (task.taskId === straggler) await Promise.race([released, new Promise((r) => setTimeout(r, 60_000).unref())]);
        return super.train(task, state, replay, onProgress);
      }
    }
    const scenario = tinyScenario({ arms: [{ ...arms[2], deadline: 4 }] });
    const clients = inProcessClients({}, (o) => new SlowEngine(o));
    // A client more than chunks: the straggler keeps its client busy into the next round.
    const summary = await runScenario({ scenario, outDir: dir, clients: 4, resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    release();
    expect(summary.failures).toEqual([]);

    const results = await readResults(dir);
    const fedavg = results.arms[0];
    expect(fedavg.stages.map((s) => s.dropped)).toEqual([
      { taskIds: [straggler], steps: 4, keptPrevious: false },
      { taskIds: [], steps: 0, keptPrevious: false },
    ]);
    expect(fedavg.dropped).toEqual({ results: 1, steps: 4, roundsKeptPrevious: 0 });
    expect(fedavg.stages.map((s) => s.steps)).toEqual([8, 10]);
    expect(fedavg.final!.steps).toBe(18);
    // Round 0 averaged chunks 0 and 2 only (sizes 100 and 120); round 1 all three.
    const roundGain = (1 * 100 + 2 * 110 + 3 * 120) / 330;
    expect(fedavg.final!.knnTop1).toBeCloseTo(((1 * 100 + 3 * 120) / 220 + roundGain) / 100, 5);
    expect(results.computeMatching).toMatch(/arm fedavg's round deadline dropped 1 late result\(s\) of 4 planned step\(s\), so its averages took 18 of its 22 planned step\(s\)/);
    const report = await readFile(join(dir, 'report.md'), 'utf8');
    expect(report).toMatch(/## fedavg \(fedavg, 2 round\(s\), deadline 4 s;/);
    expect(report).toContain('Round deadline: 1 late result(s) dropped, 4 planned step(s) (round 0: 1).');
  });
});
