/**
 * `streamssl resume <runDir>`: continues a run that was cut short (its coordinator killed,
 * the machine restarted, an arm out of retries) from its journal. Nothing finished runs
 * again: the stream plan and the random-init evaluation are reused, and each unfinished
 * arm continues from its last finished stage's checkpoint, so the final results equal an
 * uninterrupted run's (timings and which client ran what aside).
 */
import { createLogger, type Logger } from '../../shared/log.js';
import type { BackendName } from '../../shared/scenario.js';
import { RunJournal, type ClientSetup } from './journal.js';
import { writePolicy } from './file-writes.js';
import { isSeedsRun, resumeSeeds } from './seeds.js';
import { continueRun } from './run.js';
import type { ContinueRunOptions, RunSummary } from './run-options.js';

export interface ResumeOptions extends Omit<ContinueRunOptions, 'setup'> {
  runDir: string;
  /** Override what the run was started with. */
  clients?: number;
  backend?: BackendName;
  threads?: number;
}

/** Continues the run in `runDir`; refuses a folder whose journal is missing, corrupt or from other code. */
export async function resumeRun(o: ResumeOptions): Promise<RunSummary> {
  if (await isSeedsRun(o.runDir)) return resumeSeeds(o);
  const journal = await RunJournal.open(o.runDir, writePolicy(o));
  const recorded = journal.setup;
  const setup: ClientSetup = {
    clients: o.clients ?? recorded.clients,
    backend: o.backend ?? recorded.backend,
    threads: o.threads ?? recorded.threads,
    remote: recorded.remote,
    ...(recorded.gpus ? { gpus: recorded.gpus } : {}),
  };
  if (setup.remote && o.launch === undefined && o.listen?.port === undefined) {
    throw new Error(`${o.runDir} ran with remote clients (streamssl serve): resume it with --port P --token T and start its clients again`);
  }
  const logger: Logger = o.logger ?? createLogger({ name: 'coordinator' });
  const finished = Object.fromEntries(journal.scenario.arms.map((arm) => [arm.name, journal.stages(arm.name).length]));
  logger.info({ runDir: o.runDir, finishedStages: finished, randomInit: journal.randomInit !== null }, 'resuming the run');
  await journal.recordResume();
  return continueRun(journal, { ...o, setup, logger, resumed: true });
}
