/**
 * A cyclic relay (two cycles over three chunks, random-no-repeat, replay and MAS) with the
 * training engine on wasm, disturbed in its second cycle: a client SIGKILLed during a
 * revisit is restarted and the visit runs again from the same state; a coordinator
 * SIGKILLed after the second cycle's first visit is resumed from its journal. Both end
 * with every checkpoint and result of the undisturbed run, byte for byte.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { RunJournal } from '../../server/run/journal.js';
import { runScenario } from '../../server/run/run.js';
import { isRunning, startCli, type GroupCliProcess } from '../support/cli-process.js';
import { killableLauncher } from '../support/killable-launcher.js';
import { finishedStages } from '../support/run-journal.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { quickTrainingScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const raw = quickTrainingScenario({
  name: 'cyclic-relay',
  seed: 5,
  arms: [
    {
      name: 'relay',
      mode: 'relay',
      strategy: { name: 'replay', fraction: 0.2, ratio: 0.25 },
      regularizer: { name: 'mas', samples: 32 },
      cycles: 2,
      order: 'random-no-repeat',
    },
  ],
  clients: { backend: 'wasm', threads: 1, stageTimeoutSeconds: 120, retries: 2, restarts: 2 },
});
const scenario = parseScenario(raw);

describe('a cyclic relay disturbed in its second cycle (training engine)', () => {
  const tempDir = useTempDir('streamssl-cyclic-');
  const started: GroupCliProcess[] = [];
  afterEach(() => {
    for (const cli of started.splice(0)) cli.killGroup();
  });

  // The undisturbed run both disturbed runs are compared with, made once, in a folder of its own.
  let shared = '';
  beforeAll(async () => {
    shared = await mkdtemp(join(tmpdir(), 'streamssl-cyclic-undisturbed-'));
  });
  afterAll(async () => {
    if (shared) await rm(shared, { recursive: true, force: true });
  });
  let undisturbed: Promise<string> | null = null;
  const undisturbedRun = () =>
    (undisturbed ??= (async () => {
      const out = join(shared, 'undisturbed');
      await runScenario({ scenario, outDir: out, clients: 2, logger: silentLogger() });
      return out;
    })());

  async function expectSameAsUndisturbed(runDir: string): Promise<void> {
    const whole = await undisturbedRun();
    const journal = await RunJournal.open(runDir);
    const stages = journal.stages('relay');
    expect(stages.map((s) => s.stage)).toEqual([0, 1, 2, 3, 4, 5]);
    // Every chunk once per cycle; later visits keep the replay buffer as it was.
    const chunks = stages.map((s) => s.task.data.chunks[0]);
    expect([...chunks.slice(0, 3)].sort()).toEqual([0, 1, 2]);
    expect([...chunks.slice(3)].sort()).toEqual([0, 1, 2]);
    expect(chunks[3]).not.toBe(chunks[2]);
    expect(stages.map((s) => s.task.replay.mode === 'replay' && s.task.replay.extend === false)).toEqual([false, false, false, true, true, true]);
    expect(await checkpointFiles(runDir)).toEqual(await checkpointFiles(whole));
    const results = await readResults(runDir);
    expect(comparableResults(results)).toEqual(comparableResults(await readResults(whole)));
    const relay = results.arms[0];
    expect(relay.accuracyMatrix?.chunks).toEqual(chunks);
    expect(relay.forgetting).toBeDefined();
    expect(relay.strategy).toBe('replay+mas, 2 cycles random-no-repeat');
  }

  it('with a client killed mid-visit retries the visit and ends as the undisturbed run', async () => {
    const disturbed = join(tempDir(), 'client-killed');
    const { launcher, spawned } = killableLauncher();
    let killed: string | null = null;
    const summary = await runScenario({
      scenario,
      outDir: disturbed,
      clients: 2,
      launch: launcher,
      logger: silentLogger(),
      onProgress: (clientId, progress) => {
        // Stage 4 is the second visit of a chunk in cycle 2.
        if (killed || progress.taskId !== 'relay:stage-4' || progress.step >= progress.steps) return;
        killed = clientId;
        spawned().processes[spawned().ids.indexOf(clientId)].kill('SIGKILL');
      },
    });
    expect(killed).not.toBeNull();
    expect(summary.failures).toEqual([]);
    const journal = await RunJournal.open(disturbed);
    expect(journal.retries).toEqual([expect.objectContaining({ taskId: 'relay:stage-4', stage: 4, attempt: 1, client: killed!, reason: expect.stringMatching(/disconnected/) })]);
    await expectSameAsUndisturbed(disturbed);
  }, 300_000);

  it('with its coordinator killed in cycle 2 is resumed and ends as the undisturbed run', async () => {
    const dir = tempDir();
    const file = join(dir, 'scenario.json');
    await writeFile(file, JSON.stringify(raw));
    const cut = join(dir, 'coordinator-killed');
    const run = startCli(['run', file, '--out', cut, '--clients', '2']);
    started.push(run);
    // Stage 3 is the first visit of cycle 2: kill once it is journaled.
    await waitUntil(async () => (await finishedStages(cut)) >= 4, 'the journal shows the first visit of cycle 2', 180_000);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    const before = await RunJournal.open(cut);
    const finishedBefore = before.stages('relay');
    expect(finishedBefore.length).toBeGreaterThanOrEqual(4);
    expect(finishedBefore.length).toBeLessThan(6);
    const pids = before.clients.map((c) => c.pid);
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), 'the killed coordinator’s clients exited', 15_000);

    const resume = startCli(['resume', cut]);
    started.push(resume);
    const { code, stderr } = await resume.exited;
    expect(code, stderr).toBe(0);
    const after = await RunJournal.open(cut);
    // Visits finished before the kill were not run again.
    finishedBefore.forEach((stage, k) => expect(after.stages('relay')[k]).toEqual(stage));
    await expectSameAsUndisturbed(cut);
  }, 300_000);
});
