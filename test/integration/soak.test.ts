/**
 * Soak (only with STREAMSSL_SOAK=1; not in the default suite): many short stages on
 * client processes (fake engine) that are SIGKILLed at random moments, mid-stage, mid-
 * transfer, idle or starting, until the run ends. Nothing may be lost: every stage is
 * checkpointed and journaled, and results and checkpoints equal an undisturbed run's.
 *
 * STREAMSSL_SOAK_CHUNKS (default 20) sets the stages per relay arm, STREAMSSL_SOAK_SEED
 * the seed of the kills.
 */
import { FAKE_RESULT_CHECK } from '../support/fake-engine.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { Random } from '../../shared/random.js';
import { RunJournal } from '../../server/run/journal.js';
import { runScenario } from '../../server/run/run.js';
import { FAKE_CLIENT_ENTRY, killableLauncher } from '../support/killable-launcher.js';
import { checkpointFiles, comparableResults, readResults } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const SOAK = process.env.STREAMSSL_SOAK === '1';
const CHUNKS = Number(process.env.STREAMSSL_SOAK_CHUNKS ?? 20);
const SEED = Number(process.env.STREAMSSL_SOAK_SEED ?? 1);
const CLIENTS = 3;

describe.skipIf(!SOAK)('soak: many short stages, clients killed at random', () => {
  const tempDir = useTempDir('streamssl-soak-');

  it('loses nothing: every stage checkpointed, results equal an undisturbed run', async () => {
    const dir = tempDir();
    const scenario = tinyScenario({
      stream: { type: 'instance', chunks: CHUNKS },
      training: { epochsPerChunk: 1, batchSize: 32 },
      clients: { stageTimeoutSeconds: 60, retries: 50, restarts: 10_000, reconnectWaitSeconds: 60 },
    });
    const env = { STREAMSSL_FAKE_TRAIN_DELAY_MS: '250' };
    const run = (outDir: string, launcher: ReturnType<typeof killableLauncher>['launcher']) =>
      runScenario({ scenario, outDir, clients: CLIENTS, resultCheck: FAKE_RESULT_CHECK, launch: launcher, logger: silentLogger() });

    await run(join(dir, 'undisturbed'), killableLauncher({ entry: FAKE_CLIENT_ENTRY, env }).launcher);

    const chaos = killableLauncher({ entry: FAKE_CLIENT_ENTRY, env });
    const random = new Random(SEED);
    let kills = 0;
    let running = true;
    const killer = (async () => {
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, random.uniform(300, 1500)));
        const child = running ? chaos.spawned().processes[random.int(0, CLIENTS)] : undefined;
        if (child && child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')) kills++;
      }
    })();
    const disturbed = join(dir, 'disturbed');
    const summary = await run(disturbed, chaos.launcher).finally(() => (running = false));
    await killer;

    const journal = await RunJournal.open(disturbed);
    console.info(`soak: ${CHUNKS} chunks, ${kills} clients killed, ${journal.retries.length} tasks retried`);
    expect(summary.failures).toEqual([]);
    expect(kills).toBeGreaterThan(0);
    for (const arm of scenario.arms) expect(journal.stages(arm.name).length, arm.name).toBe(arm.mode === 'relay' ? CHUNKS : 1);
    expect(await checkpointFiles(disturbed)).toEqual(await checkpointFiles(join(dir, 'undisturbed')));
    expect(comparableResults(await readResults(disturbed))).toEqual(comparableResults(await readResults(join(dir, 'undisturbed'))));
  }, 900_000);
});
