/**
 * Client processes killed mid-stage on loopback. With the training engine: a client
 * SIGKILLed during a relay stage is restarted, the stage runs again from the state it
 * started from, and the run ends with every checkpoint and result of an undisturbed run,
 * byte for byte (so a stage's result does not depend on which client ran it). With fake
 * engines: a stage that kills its client every time fails its arm after `retries`, while
 * the other arm finishes, and results, report and journal keep everything finished.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { RunJournal } from '../../server/run/journal.js';
import { runScenario } from '../../server/run/run.js';
import { FAKE_CLIENT_ENTRY, killableLauncher } from '../support/killable-launcher.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { quickTrainingScenario, tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('a client killed mid-stage (training engine)', () => {
  const tempDir = useTempDir('streamssl-kill-');
  const scenario = parseScenario(
    quickTrainingScenario({
      seed: 5,
      arms: [{ name: 'relay', mode: 'relay', strategy: { name: 'replay', fraction: 0.2, ratio: 0.25 } }],
      clients: { backend: 'wasm', threads: 1, stageTimeoutSeconds: 120, retries: 2, restarts: 2 },
    }),
  );

  it('is restarted, its stage runs again from the same state, and the run equals an undisturbed one', async () => {
    const dir = tempDir();
    const undisturbed = join(dir, 'undisturbed');
    const disturbed = join(dir, 'disturbed');
    await runScenario({ scenario, outDir: undisturbed, clients: 2, logger: silentLogger() });

    const { launcher, spawned } = killableLauncher();
    let killed: { client: string; pid: number } | null = null;
    const summary = await runScenario({
      scenario,
      outDir: disturbed,
      clients: 2,
      resultCheck: FAKE_RESULT_CHECK, launch: launcher,
      logger: silentLogger(),
      onProgress: (clientId, progress) => {
        if (killed || progress.taskId !== 'relay:stage-1' || progress.step >= progress.steps) return;
        const child = spawned().processes[spawned().ids.indexOf(clientId)];
        killed = { client: clientId, pid: child.pid! };
        child.kill('SIGKILL');
      },
    });

    expect(killed).not.toBeNull();
    expect(summary.failures).toEqual([]);
    const journal = await RunJournal.open(disturbed);
    expect(journal.retries).toEqual([
      expect.objectContaining({ taskId: 'relay:stage-1', arm: 'relay', stage: 1, attempt: 1, client: killed!.client, reason: expect.stringMatching(/disconnected/) }),
    ]);
    expect(journal.stages('relay').map((s) => s.stage)).toEqual([0, 1, 2]);
    // The killed client was started again under its id (on a busy machine the run may end
    // before the new process has joined, so its process, not its hello, is checked).
    const restarted = spawned().processes[spawned().ids.indexOf(killed!.client)];
    expect(restarted.pid).not.toBe(killed!.pid);
    expect(Object.keys(await checkpointFiles(disturbed))).toEqual(['relay/stage-0.replay', 'relay/stage-0.state', 'relay/stage-1.replay', 'relay/stage-1.state', 'relay/stage-2.replay', 'relay/stage-2.state']);
    expect(await checkpointFiles(disturbed)).toEqual(await checkpointFiles(undisturbed));
    expect(comparableResults(await readResults(disturbed))).toEqual(comparableResults(await readResults(undisturbed)));
  }, 180_000);
});

describe('a stage that loses its client every time (fake engines)', () => {
  const tempDir = useTempDir('streamssl-doomed-');

  it('fails its arm after clients.retries with a clear message; the other arm, results and journal are kept', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({
      arms: [
        { name: 'doomed', mode: 'relay' },
        { name: 'steady', mode: 'relay', strategy: { name: 'replay', size: 10 } },
      ],
      clients: { stageTimeoutSeconds: 30, retries: 1, restarts: 4 },
    });
    const { launcher } = killableLauncher({ entry: FAKE_CLIENT_ENTRY, env: { STREAMSSL_FAKE_DIE_ON: 'doomed:stage-1', STREAMSSL_FAKE_TRAIN_DELAY_MS: '100' } });
    const summary = await runScenario({ scenario, outDir: dir, clients: 2, resultCheck: FAKE_RESULT_CHECK, launch: launcher, logger: silentLogger() });

    expect(summary.failures).toEqual([
      {
        arm: 'doomed',
        error: expect.stringMatching(
          /^arm doomed, stage 1: gave up after 2 attempt\(s\), each lost its client \(clients.retries is 1\): client client-\d disconnected \(transport close\); client client-\d disconnected \(transport close\)$/,
        ),
      },
    ]);
    const results = await readResults(dir);
    expect(results.arms.map((a) => [a.name, a.stages.map((s) => s.stage), a.final === null, a.error ?? null])).toEqual([
      ['doomed', [0], true, summary.failures[0].error],
      ['steady', [0, 1, 2], false, null],
    ]);
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toContain(`**Failed** after 1 finished stage(s): ${summary.failures[0].error}`);
    expect(Object.keys(await checkpointFiles(dir))).toEqual([
      'doomed/stage-0.state',
      'steady/stage-0.replay',
      'steady/stage-0.state',
      'steady/stage-1.replay',
      'steady/stage-1.state',
      'steady/stage-2.replay',
      'steady/stage-2.state',
    ]);
    const journal = await RunJournal.open(dir);
    expect(journal.armError('doomed')).toBe(summary.failures[0].error);
    expect(journal.retries.map((r) => [r.taskId, r.attempt])).toEqual([['doomed:stage-1', 1]]);
    expect(journal.stages('steady')).toHaveLength(3);
  }, 60_000);
});
