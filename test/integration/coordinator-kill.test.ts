/**
 * The coordinator killed between stages: `streamssl run` (a real process with real
 * clients, training engine on wasm) is SIGKILLed once its journal shows a finished stage;
 * its clients leave by themselves; `streamssl resume` then runs only what was left and
 * ends with the results and checkpoints of an uninterrupted run of the same scenario.
 * The same holds for a run that sends its states as float16 and deflated: checkpoints stay
 * float32, and the coordinator re-encoding a checkpoint gives the client the halves it got
 * in the undisturbed run (rounding is idempotent). A folder that cannot be resumed is
 * refused with exit code 2 and a clear message.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { parseScenario } from '../../shared/scenario.js';
import { decodeState } from '../../shared/state/model-state.js';
import { fromFloat16Bits, toFloat16Bits } from '../../shared/wire/float16.js';
import { JOURNAL_FILE, RunJournal } from '../../server/run/journal.js';
import { runScenario } from '../../server/run/run.js';
import { isRunning, startCli, type GroupCliProcess } from '../support/cli-process.js';
import { finishedStages } from '../support/run-journal.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { quickTrainingScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const plain = quickTrainingScenario({ name: 'coordinator-kill' });
const lighter = quickTrainingScenario({ name: 'coordinator-kill-f16', transfer: { encoding: 'float16', compression: 'deflate' } });

describe('the coordinator killed between stages', () => {
  const tempDir = useTempDir('streamssl-coordinator-kill-');
  const started: GroupCliProcess[] = [];
  afterEach(() => {
    for (const cli of started.splice(0)) cli.killGroup();
  });

  /** Runs `raw` whole, and killed then resumed; checks the two end alike; returns both run folders. */
  async function killAndResume(raw: Record<string, unknown>): Promise<{ whole: string; cut: string }> {
    const dir = tempDir();
    const file = join(dir, 'scenario.json');
    await writeFile(file, JSON.stringify(raw));
    const whole = join(dir, 'whole');
    const cut = join(dir, 'cut');
    await runScenario({ scenario: parseScenario(raw), outDir: whole, clients: 2, logger: silentLogger() });

    const run = startCli(['run', file, '--out', cut, '--clients', '2']);
    started.push(run);
    await waitUntil(async () => (await finishedStages(cut)) > 0, 'the journal shows a finished stage', 120_000);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    const before = await RunJournal.open(cut);
    const finishedBefore = before.scenario.arms.flatMap((arm) => before.stages(arm.name).map((s) => `${arm.name}/${s.stage}`));
    expect(finishedBefore.length).toBeLessThan(4); // relay's three stages and joint's one: work was left
    expect(existsSync(join(cut, 'results.json'))).toBe(false);
    // Its clients noticed that their coordinator is gone, although it could not tell them.
    const pids = before.clients.map((c) => c.pid);
    expect(pids).toHaveLength(2);
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), 'the killed coordinator’s clients exited', 15_000);

    const resume = startCli(['resume', cut]);
    started.push(resume);
    const { code, stdout, stderr } = await resume.exited;
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`journal: ${join(cut, JOURNAL_FILE)}`);

    const after = await RunJournal.open(cut);
    expect(after.stages('relay').map((s) => s.stage)).toEqual([0, 1, 2]);
    expect(after.stages('joint').map((s) => s.stage)).toEqual([0]);
    // Stages finished before the kill were not run again: their records are unchanged.
    for (const id of finishedBefore) {
      const [arm, stage] = id.split('/');
      expect(after.stages(arm)[Number(stage)], id).toEqual(before.stages(arm)[Number(stage)]);
    }
    expect(after.clients.length).toBe(4); // the resume started two new client processes
    const journalText = JSON.parse(await readFile(join(cut, JOURNAL_FILE), 'utf8')) as { resumedAt: string[] };
    expect(journalText.resumedAt).toHaveLength(1);
    expect(await checkpointFiles(cut)).toEqual(await checkpointFiles(whole));
    expect(comparableResults(await readResults(cut))).toEqual(comparableResults(await readResults(whole)));
    return { whole, cut };
  }

  it('is resumed from its journal and ends as an uninterrupted run', async () => {
    await killAndResume(plain);
  }, 240_000);

  it('is resumed alike when its states travel as float16, deflated; its checkpoints are float32', async () => {
    const { whole } = await killAndResume(lighter);
    const relay = (await readResults(whole)).arms.find((a) => a.name === 'relay')!;
    for (const stage of relay.stages) {
      const bytes = await readFile(join(whole, 'checkpoints', 'relay', `stage-${stage.stage}.state`));
      const state = decodeState(bytes); // a plain float32 state, no wire header
      const online = Object.values(state.methodState.online);
      expect(online.every((a) => a.values instanceof Float32Array)).toBe(true);
      // Its values came through float16: each one is a half, exactly.
      for (const a of online) expect(fromFloat16Bits(toFloat16Bits(a.values))).toEqual(a.values);
      // float16 halves the bytes each way (plus the replay buffer, deflated).
      expect(stage.handoffBytes!.received).toBeLessThan(0.6 * bytes.byteLength);
    }
  }, 300_000);

  it('refuses, with exit code 2, a folder without a journal and a journal of other code', async () => {
    const dir = tempDir();
    const none = startCli(['resume', dir]);
    started.push(none);
    expect(await none.exited).toMatchObject({ code: 2, stderr: `streamssl: ${dir} has no journal.json: not a streamssl run folder\n` });

    await RunJournal.create(dir, { scenario: parseScenario(plain), setup: { clients: 1, backend: 'wasm', threads: 1, remote: false } });
    const journal = JSON.parse(await readFile(join(dir, JOURNAL_FILE), 'utf8')) as { code: string };
    await writeFile(join(dir, JOURNAL_FILE), JSON.stringify({ ...journal, code: '0.0.0+feedfacecafebeef' }));
    const other = startCli(['resume', dir]);
    started.push(other);
    const { code, stderr } = await other.exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^streamssl: .*journal\.json was written by streamssl 0\.0\.0\+feedfacecafebeef, this is .*: other code would not continue the same computation/);
  }, 60_000);
});
