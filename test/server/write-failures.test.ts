/**
 * No run lost to a failed write: a checkpoint or journal write that fails with EMFILE or
 * ENOSPC (descriptors exhausted by a connection flood, a full disk) is tried again; one
 * that still fails ends that one arm with an error naming the file, never the coordinator,
 * the other arms finish, results.json holds what finished, and `resume` finishes the run as
 * an uninterrupted run would have.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { retryingWrite, WriteError, writeFileAtomic, type AtomicWrite } from '../../server/run/file-writes.js';
import { RunJournal } from '../../server/run/journal.js';
import { resumeRun } from '../../server/run/resume.js';
import { runScenario } from '../../server/run/run.js';
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { inProcessClients } from '../support/launcher.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

/** The error Node gives for `code` (EMFILE, ENOSPC, ...) on `path`. */
function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, open '${path}'`), { code, path });
}

/** A writer that throws `code` while `failing(path)` says so, and writes for real otherwise; it counts what it refused. */
function flakyDisk(code: string, failing: (path: string) => boolean): { write: AtomicWrite; refused: string[] } {
  const refused: string[] = [];
  const write: AtomicWrite = async (path, bytes) => {
    if (failing(path)) {
      refused.push(path);
      throw fsError(code, path);
    }
    await writeFileAtomic(path, bytes);
  };
  return { write, refused };
}

/** Quick retries, so that a write that keeps failing fails within milliseconds. */
const QUICK = { retryDelaysMs: [1, 5, 10] };

describe('retrying writes', () => {
  it('retries a write that fails for a passing reason, and names the file when it still fails', async () => {
    const passing = failing('EMFILE', '/run/journal.json', 2);
    await retryingWrite('/run/journal.json', passing.write, QUICK);
    expect(passing.calls).toBe(3);

    const full = failing('ENOSPC', '/run/checkpoints/a/stage-1.state');
    const forGood = retryingWrite('/run/checkpoints/a/stage-1.state', full.write, QUICK);
    await expect(forGood).rejects.toThrow(WriteError);
    await expect(forGood).rejects.toThrow(/^could not write \/run\/checkpoints\/a\/stage-1\.state \(tried 4 times over \d+ s\): ENOSPC: /);
    expect(full.calls).toBe(4);

    // A failure that will not pass (no permission) is not retried.
    const denied = failing('EACCES', '/run/results.json');
    await expect(retryingWrite('/run/results.json', denied.write, QUICK)).rejects.toThrow(/^could not write \/run\/results\.json: EACCES: /);
    expect(denied.calls).toBe(1);
  });
});

/** A write of `path` that throws `code` on its first `times` calls, counting them. */
function failing(code: string, path: string, times = Number.POSITIVE_INFINITY): { write: () => Promise<void>; calls: number } {
  const counted = {
    calls: 0,
    write: async () => {
      if (++counted.calls <= times) throw fsError(code, path);
    },
  };
  return counted;
}

describe('failed writes in a run', () => {
  const tempDir = useTempDir('streamssl-writes-');
  const scenario = tinyScenario();
  let dir: string;
  let whole: string;
  beforeEach(async () => {
    dir = tempDir();
    whole = join(dir, 'whole');
    await runScenario({ scenario, outDir: whole, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
  });

  it('a run rides out EMFILE on checkpoint and journal writes for a while', async () => {
    let left = 6;
    // Every other write fails until six have failed: each write succeeds on a retry.
    const disk = flakyDisk('EMFILE', () => left > 0 && left-- % 2 === 0);
    const summary = await runScenario({ scenario, outDir: dir, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, writes: { write: disk.write, ...QUICK } });
    expect(disk.refused.length).toBe(3);
    expect(summary.failures).toEqual([]);
    expect(comparableResults(await readResults(dir))).toEqual(comparableResults(await readResults(whole)));
    expect(await checkpointFiles(dir)).toEqual(await checkpointFiles(whole));
  });

  it('a checkpoint write that fails for good ends that arm only; the others finish, and resume finishes the run', async () => {
    const disk = flakyDisk('ENOSPC', (path) => path.includes(join('checkpoints', 'relay-replay', 'stage-1')));
    const first = await runScenario({ scenario, outDir: dir, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, writes: { write: disk.write, ...QUICK } });
    const stateFile = join(dir, 'checkpoints', 'relay-replay', 'stage-1.state');
    expect(first.failures).toEqual([{ arm: 'relay-replay', error: expect.stringMatching(/^arm relay-replay, stage 1: could not write .*stage-1\.state \(tried 4 times over \d+ s\): ENOSPC: injected failure/) }]);
    expect(disk.refused).toEqual([stateFile, stateFile, stateFile, stateFile]);

    // results.json holds every finished arm, and the failed arm's finished stage.
    const results = await readResults(dir);
    expect(results.arms.map((a) => [a.name, a.stages.length, a.final !== null])).toEqual([
      ['relay-finetune', 3, true],
      ['relay-replay', 1, false],
      ['joint', 1, true],
    ]);
    expect((await RunJournal.open(dir)).armError('relay-replay')).toBe(first.failures[0].error);
    expect((await readdir(join(dir, 'checkpoints', 'relay-replay'))).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const resumed = await resumeRun({ runDir: dir, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    expect(resumed.failures).toEqual([]);
    expect(comparableResults(await readResults(dir))).toEqual(comparableResults(await readResults(whole)));
    expect(await checkpointFiles(dir)).toEqual(await checkpointFiles(whole));
  });

  it('a journal that cannot be written fails the arms cleanly, not the coordinator; results.json holds what finished, and resume finishes the run', async () => {
    let broken = false;
    // The journal breaks for good as relay-replay's second stage is checkpointed (EMFILE: descriptors exhausted).
    const disk = flakyDisk('EMFILE', (path) => {
      if (path.endsWith(join('relay-replay', 'stage-1.state'))) broken = true;
      return broken && basename(path) === 'journal.json';
    });
    const first = await runScenario({ scenario, outDir: dir, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK, writes: { write: disk.write, ...QUICK } });
    const journalFile = join(dir, 'journal.json');
    expect(first.failures.length).toBeGreaterThan(0);
    expect(first.failures.map((f) => f.arm)).toContain('relay-replay');
    for (const failure of first.failures) expect(failure.error).toMatch(new RegExp(`^arm ${failure.arm}, stage \\d+: could not write ${journalFile} \\(tried 4 times over \\d+ s\\): EMFILE: `));

    // What finished is in results.json; the journal holds the stages journaled before it broke.
    const results = await readResults(dir);
    const failed = new Set(first.failures.map((f) => f.arm));
    for (const arm of results.arms) expect([arm.name, arm.final === null]).toEqual([arm.name, failed.has(arm.name)]);
    const journal = await RunJournal.open(dir);
    expect(journal.stages('relay-replay').length).toBeLessThanOrEqual(1);

    const resumed = await resumeRun({ runDir: dir, launch: inProcessClients().launcher, logger: silentLogger(), resultCheck: FAKE_RESULT_CHECK });
    expect(resumed.failures).toEqual([]);
    expect(comparableResults(await readResults(dir))).toEqual(comparableResults(await readResults(whole)));
    expect(await checkpointFiles(dir)).toEqual(await checkpointFiles(whole));
  });
});
