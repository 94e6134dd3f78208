import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import type { Results } from '../../server/report/results.js';
import { runScenario } from '../../server/run/run.js';
import { readFakeState, FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('runScenario with in-process fake clients', () => {
  const tempDir = useTempDir('streamssl-run-');

  it('runs relay and joint arms through a real coordinator and writes results, report and checkpoints', async () => {
    const scenario = tinyScenario();
    const clients = inProcessClients({ stateBytes: 3_000_000 });
    const summary = await runScenario({ scenario, outDir: tempDir(), resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });

    // chunk sizes came from a client (100, 110, 120); steps = ceil(2 * size / 32)
    const relaySteps = [7, 7, 8];
    const results = JSON.parse(await readFile(join(tempDir(), 'results.json'), 'utf8')) as Results;
    expect(results).toEqual(JSON.parse(JSON.stringify(summary.results)));
    expect(results.backend).toBe('cpu');
    expect(results.scenario.name).toBe('tiny');
    expect(results.randomInit).toMatchObject({ knnTop1: 0.1, linearTop1: 0.12 });
    expect(results.stream.chunks.map((c) => c.size)).toEqual([100, 110, 120]);
    expect(results.arms.map((a) => [a.name, a.mode, a.strategy])).toEqual([
      ['relay-finetune', 'relay', 'fine-tune'],
      ['relay-replay', 'relay', 'replay'],
      ['joint', 'joint', 'none'],
    ]);

    for (const arm of results.arms.slice(0, 2)) {
      expect(arm.stages.map((s) => s.chunk)).toEqual([0, 1, 2]);
      expect(arm.stages.map((s) => s.steps)).toEqual(relaySteps);
      expect(arm.stages.every((s) => s.eval !== null && s.loss.first === 5 && s.loss.last === 4)).toBe(true);
      expect(arm.stages.every((s) => s.handoffSeconds > 0 && typeof s.client === 'string')).toBe(true);
      expect(arm.final).toMatchObject({ knnTop1: arm.stages[2].eval!.knnTop1, steps: 22 });
    }
    const joint = results.arms[2];
    expect(joint.stages).toHaveLength(1);
    expect(joint.stages[0].chunk).toEqual([0, 1, 2]);
    expect(joint.final!.steps).toBe(22);
    expect(results.computeMatching).toMatch(/7 \+ 7 \+ 8 = 22 steps/);

    // The relay's final checkpoint carries every stage, in order, each continuing the schedule.
    const store = new CheckpointStore(tempDir());
    const relayFinal = readFakeState((await store.read('relay-replay', 2)).state);
    expect(relayFinal.history.map((h) => [h.stage, h.chunks, h.startStep, h.totalSteps])).toEqual([
      [0, [0], 0, 22],
      [1, [1], 7, 22],
      [2, [2], 14, 22],
    ]);
    expect(relayFinal.history.map((h) => h.replayedChunks)).toEqual([[], [0], [0, 1]]);
    expect((await store.read('relay-replay', 2)).replay).not.toBeNull();
    expect((await store.read('relay-finetune', 2)).replay).toBeNull();
    const jointFinal = readFakeState((await store.read('joint', 0)).state);
    expect(jointFinal.history).toEqual([{ arm: 'joint', stage: 0, chunks: [0, 1, 2], steps: 22, startStep: 0, totalSteps: 22, replayedChunks: [] }]);
    expect(await readdir(join(tempDir(), 'checkpoints'))).toEqual(['joint', 'relay-finetune', 'relay-replay']);

    // One client per chunk by default; every task kind ran somewhere.
    expect(clients.engines).toHaveLength(3);
    const kinds = clients.engines.flatMap((e) => e.calls.map((c) => c.kind));
    // One client plans the stream, a second confirms it.
    expect(kinds.filter((k) => k === 'plan')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'eval')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'train')).toHaveLength(7);

    const report = await readFile(join(tempDir(), 'report.md'), 'utf8');
    expect(report).toBe(summary.report);
    expect(report).toMatch(/## relay-replay \(relay, replay\)/);
    expect(report).toMatch(/\| random init \| floor \| 10\.0% \| 12\.0% \|/);
    expect(report).toMatch(/Δ kNN vs joint/);
    // clients ended their sessions when the run finished
    await Promise.all(clients.handles.map((h) => expect(h.done).resolves.toBeUndefined()));
  });

  it('runs arms one after another with parallelArms off, on a single client, with given chunk sizes', async () => {
    const scenario = tinyScenario({ clients: { parallelArms: false }, evaluation: { everyStage: false } });
    const clients = inProcessClients();
    const { results } = await runScenario({ scenario, outDir: tempDir(), clients: 1, chunkSizes: [32, 64, 96], resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });
    expect(clients.engines).toHaveLength(1);
    expect(clients.engines[0].calls.map((c) => c.taskId)).toEqual([
      'random-init:eval',
      'relay-finetune:stage-0',
      'relay-finetune:stage-1',
      'relay-finetune:stage-2',
      'relay-replay:stage-0',
      'relay-replay:stage-1',
      'relay-replay:stage-2',
      'joint:stage-0',
    ]);
    expect(results.arms[0].stages.map((s) => s.eval === null)).toEqual([true, true, false]);
    expect(results.arms[0].stages.map((s) => s.steps)).toEqual([2, 4, 6]);
    expect(results.arms[2].final!.steps).toBe(12);
  });

  it('an engine failure is not retried: that arm fails alone, the others finish, and results, report and journal say why', async () => {
    const scenario = tinyScenario();
    const clients = inProcessClients({ failOn: (t) => t.arm === 'joint' });
    const summary = await runScenario({ scenario, outDir: tempDir(), resultCheck: FAKE_RESULT_CHECK, launch: clients.launcher, logger: silentLogger() });

    expect(summary.failures).toEqual([{ arm: 'joint', error: expect.stringMatching(/^arm joint, stage 0: client fake-\d: task joint:stage-0 failed: fake failure in joint:stage-0$/) }]);
    const jointAttempts = clients.engines.flatMap((e) => e.calls).filter((c) => c.taskId === 'joint:stage-0');
    expect(jointAttempts).toHaveLength(1);
    const results = JSON.parse(await readFile(join(tempDir(), 'results.json'), 'utf8')) as Results;
    expect(results.arms.map((a) => [a.name, a.stages.length, a.final === null])).toEqual([
      ['relay-finetune', 3, false],
      ['relay-replay', 3, false],
      ['joint', 0, true],
    ]);
    expect(results.arms[2].error).toBe(summary.failures[0].error);
    const report = await readFile(join(tempDir(), 'report.md'), 'utf8');
    expect(report).toMatch(/\*\*Failed\*\* after 0 finished stage\(s\): arm joint, stage 0: .*fake failure/);
    expect(report).toMatch(/Not compared \(failed before their last stage\): joint\./);
    const journal = JSON.parse(await readFile(join(tempDir(), 'journal.json'), 'utf8')) as { arms: Array<{ name: string; stages: unknown[]; error: string | null }> };
    expect(journal.arms.map((a) => [a.name, a.stages.length, a.error])).toEqual([
      ['relay-finetune', 3, null],
      ['relay-replay', 3, null],
      ['joint', 0, summary.failures[0].error],
    ]);
    await Promise.all(clients.handles.map((h) => expect(h.done).resolves.toBeUndefined()));
  });
});
