/**
 * `resumeRun` with in-process fake clients: a run whose arms failed is continued from its
 * journal, running only the unfinished stages, and ends with the results and checkpoints
 * of an uninterrupted run; a finished run is rewritten without starting any client.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { resumeRun } from '../../server/run/resume.js';
import { runScenario } from '../../server/run/run.js';
import { inProcessClients } from '../support/launcher.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('resuming a run from its journal (in-process fake clients)', () => {
  const tempDir = useTempDir('streamssl-resume-');
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });

  it('runs only the unfinished stages and ends as an uninterrupted run', async () => {
    const scenario = tinyScenario();
    const whole = join(dir, 'whole');
    const cut = join(dir, 'cut');
    await runScenario({ scenario, outDir: whole, resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients().launcher, logger: silentLogger() });

    const failing = inProcessClients({ failOn: (t) => t.taskId === 'relay-replay:stage-2' || t.arm === 'joint' });
    const first = await runScenario({ scenario, outDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: failing.launcher, logger: silentLogger() });
    expect(first.failures.map((f) => f.arm)).toEqual(['relay-replay', 'joint']);

    const healthy = inProcessClients();
    const resumed = await resumeRun({ runDir: cut, resultCheck: FAKE_RESULT_CHECK, launch: healthy.launcher, logger: silentLogger() });
    expect(resumed.failures).toEqual([]);
    const ran = healthy.engines.flatMap((e) => e.calls.map((c) => c.taskId)).sort();
    expect(ran).toEqual(['joint:stage-0', 'relay-replay:stage-2']);
    const stage2 = healthy.engines.flatMap((e) => e.calls).find((c) => c.taskId === 'relay-replay:stage-2')!;
    expect(stage2.stateIn?.history.map((h) => h.stage)).toEqual([0, 1]);
    expect(stage2.replayIn).toEqual([0, 1]);

    expect(comparableResults(await readResults(cut))).toEqual(comparableResults(await readResults(whole)));
    expect(await checkpointFiles(cut)).toEqual(await checkpointFiles(whole));
  });

  it('rewrites the results of a finished run without starting any client', async () => {
    const scenario = tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }] });
    await runScenario({ scenario, outDir: dir, resultCheck: FAKE_RESULT_CHECK, launch: inProcessClients().launcher, logger: silentLogger() });
    const before = await readResults(dir);
    let launched = false;
    await resumeRun({
      runDir: dir,
      logger: silentLogger(),
      resultCheck: FAKE_RESULT_CHECK, launch: () => {
        launched = true;
        return { stop: async () => undefined };
      },
    });
    expect(launched).toBe(false);
    const after = await readResults(dir);
    expect(comparableResults(after)).toEqual(comparableResults(before));
    expect(after.startedAt).toBe(before.startedAt);
  });
});
