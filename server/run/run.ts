/**
 * One scenario run, end to end: start its journal, open a session (coordinator and
 * clients), ask a client for the stream's chunk sizes, evaluate the random-init encoder,
 * run every arm, write results.json and report.md, and stop everything. Each piece goes to
 * the journal as soon as it is done, and the same code continues a run that was cut short
 * (`continueRun`, see resume.ts): it does only what the journal does not hold yet. An arm
 * that fails does not stop the others; the results then hold its finished stages and error.
 * Its pieces: the options and summary (run-options.ts), the clients' setup (client-setup.ts),
 * the session (run-session.ts), one arm with its journal (journaled-arm.ts).
 */
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createLogger, type Logger } from '../../shared/log.js';
import type { BackendName, Scenario } from '../../shared/scenario.js';
import type { EvalMetrics } from '../../shared/tasks.js';
import { CheckpointStore } from './checkpoints.js';
import { clientSetup, evaluationAside, givenStream } from './client-setup.js';
import { writePolicy } from './file-writes.js';
import { runJournaledArm } from './journaled-arm.js';
import { JournalError, RunJournal } from './journal.js';
import { analyzeRunDir } from '../analysis/analyze.js';
import { writeReportFiles } from '../report/report-files.js';
import { buildResults, writeResults } from '../report/results.js';
import { planStream } from './plan-stream.js';
import { armStarts } from './resume-point.js';
import { runWithRetries, type RetryPolicy } from './retry.js';
import { RunError, whereTheRunIs, type ContinueRunOptions, type RunScenarioOptions, type RunSummary } from './run-options.js';
import { openRunSession } from './run-session.js';
import { evalTaskFor } from '../schedule/eval-task.js';
import { computeMatchingNote, type ArmRun } from '../schedule/index.js';
import type { Session } from '../clients/session.js';
import { plainText } from '../net/client-text.js';
import type { ClientPool } from '../clients/pool.js';
import { armsPlannedEvent, observeRun, runStartedEvent } from '../observe/run-observer.js';
import { sampleRunMemory } from './memory-sampler.js';

export type { ClientLauncher, LaunchContext, LaunchedClients } from '../clients/session.js';
export { spawnLauncher } from '../clients/session.js';
export { RunError, whereTheRunIs, type ArmFailure, type ContinueRunOptions, type RunScenarioOptions, type RunSummary } from './run-options.js';

/** How long the stream plan waits for a second client to confirm it, when the run has more than one. */
const SECOND_PLAN_WAIT_MS = 10_000;

/**
 * Runs every arm of `scenario` and writes `outDir/results.json`, `report.md`, `journal.json`
 * and checkpoints. A scenario with several `seeds` is run by `runSeededScenario` (seeds.ts).
 */
export async function runScenario(options: RunScenarioOptions): Promise<RunSummary> {
  const { scenario, outDir } = options;
  if (scenario.seeds && scenario.seeds.length > 1) throw new Error(`scenario ${scenario.name} lists ${scenario.seeds.length} seeds: run it with runSeededScenario (server/run/seeds.ts)`);
  const setup = clientSetup(options);
  await mkdir(outDir, { recursive: true });
  const journal = await RunJournal.create(outDir, { scenario, setup, stream: givenStream(options) }, writePolicy(options));
  return continueRun(journal, { ...options, setup });
}

/** Does what `journal` does not hold yet, then writes the results of the whole run. */
export async function continueRun(journal: RunJournal, o: ContinueRunOptions): Promise<RunSummary> {
  const { scenario, runDir } = journal;
  const logger = o.logger ?? createLogger({ name: 'coordinator' });
  const checkpoints = new CheckpointStore(runDir, writePolicy({ ...o, logger }));
  const retry: RetryPolicy = { retries: scenario.clients.retries, noClientsTimeoutMs: scenario.clients.reconnectWaitSeconds * 1000 };
  let session: Session | null = null;
  let summary: RunSummary;
  const observation = await observeRun(runDir, { events: o.events, logger });
  // The run's memory on this machine: the coordinator and the clients on this host.
  const host = hostname();
  const memory = sampleRunMemory(() => journal.clients.filter((c) => c.hostname === host).map((c) => c.pid));
  const { events } = observation;
  events.publish(runStartedEvent(scenario, o.resumed ?? false, scenario.clients.parallelArms && o.setup.clients > 1));
  try {
    // Checked before any client starts, so that a damaged journal or checkpoint fails at once.
    let starts = journal.stream ? await armStarts(journal, checkpoints) : null;
    let pool: ClientPool | undefined;
    if (o.sharedPool && (!starts || !journal.randomInit || starts.some((s) => !s.done))) {
      pool = await o.sharedPool();
    } else if (!starts || !journal.randomInit || starts.some((s) => !s.done)) {
      session = await openRunSession(scenario, runDir, [journal], { ...o, events, logger });
    }
    pool ??= session?.pool;
    // A second client, when one is expected, gets a short while to join and confirm the plan.
    const secondOpinionWaitMs = o.setup.clients > 1 ? SECOND_PLAN_WAIT_MS : 0;
    if (!journal.stream) await journal.recordStream(await planStream(pool!, scenario, { retry, logger, secondOpinionWaitMs }));
    const stream = journal.stream!;
    const chunkSizes = stream.chunks.map((c) => c.size);
    logger.info({ chunkSizes }, 'stream planned');
    starts ??= await armStarts(journal, checkpoints);
    events.publish(armsPlannedEvent(scenario, starts, chunkSizes));
    if (journal.randomInit) events.publish({ type: 'random-init', knnTop1: journal.randomInit.knnTop1, linearTop1: journal.randomInit.linearTop1 });

    let randomInit = journal.randomInit;
    let randomInitError: unknown = null;
    const arms: ArmRun[] = [];
    const evaluateAside = evaluationAside(scenario, o.setup, o.runsAtOnce);
    if (evaluateAside) logger.info({ clients: o.setup.clients }, 'a client to spare: stages are scored beside the next stage');
    const jobs: Array<() => Promise<void>> = [
      async () => {
        if (randomInit) return;
        try {
          randomInit = await evaluateRandomInit(pool!, scenario, retry, logger);
        } catch (err) {
          randomInitError = err;
          return;
        }
        events.publish({ type: 'random-init', knnTop1: randomInit.knnTop1, linearTop1: randomInit.linearTop1 });
        // A journal that cannot take it costs a second evaluation if the run is resumed, not the run.
        await journal
          .recordRandomInit(randomInit)
          .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'could not journal the random-init evaluation; the results hold it, a resumed run evaluates it again'));
      },
      ...starts.map((start, i) => async () => {
        arms[i] = await runJournaledArm(journal, start, { pool: pool!, checkpoints, retry, logger, chunkSizes, events, evaluateAside });
      }),
    ];
    await runEvery(jobs, scenario.clients.parallelArms && o.setup.clients > 1);
    if (!randomInit) throw new Error(`the random-init evaluation failed: ${(randomInitError as Error)?.message ?? String(randomInitError)}`);

    const memorySummary = await memory.stop();
    const results = buildResults({
      scenario,
      randomInit,
      arms,
      memory: memorySummary,
      computeMatching: computeMatchingNote({ scenario, chunkSizes }),
      stream,
      clients: journal.clients,
      startedAt: journal.startedAt,
      finishedAt: new Date(),
    });
    const resultsPath = await writeResults(runDir, results);
    const { report, reportPath } = await writeReportFiles(runDir, results, events.snapshot);
    const failures = arms.filter((a) => a.error !== undefined).map((a) => ({ arm: a.arm.name, error: a.error! }));
    if (failures.length > 0) logger.warn({ results: resultsPath, report: reportPath, failed: failures.map((f) => f.arm) }, 'run finished, some arms failed');
    else logger.info({ results: resultsPath, report: reportPath }, 'run finished');
    summary = { results, report, resultsPath, reportPath, journalPath: journal.path, failures };
    events.publish({ type: 'run-done', ok: failures.length === 0, failures: failures.map((f) => ({ arm: f.arm, error: plainText(f.error, 2000) })) });
  } catch (err) {
    events.publish({ type: 'run-done', ok: false, failures: [], error: plainText((err as Error).message ?? String(err), 2000) });
    // A journal that cannot be continued says so itself; anything else leaves a run to resume.
    if (err instanceof JournalError) throw err;
    throw new RunError(`${(err as Error).message ?? String(err)}\n${whereTheRunIs(runDir)}`, { cause: err });
  } finally {
    await memory.stop();
    await session?.close();
    await observation.close();
  }
  return (o.analyzeAtEnd ?? scenario.analysis.atEnd) ? analyzeAtEnd(summary, runDir, o.setup.backend, logger) : summary;
}

/**
 * The scenario's analyses, once the clients are gone (they free the cores). A failure is
 * logged and the run's results stand: `streamssl analyze` can be run again later.
 */
export async function analyzeAtEnd(summary: RunSummary, runDir: string, backend: BackendName, logger: Logger): Promise<RunSummary> {
  try {
    const { results, report } = await analyzeRunDir({ runDir, backend, logger });
    return { ...summary, results, report };
  } catch (err) {
    logger.error({ err: (err as Error).message }, `analysis failed; the run's results are kept (retry with: streamssl analyze ${runDir})`);
    return summary;
  }
}

/**
 * Runs every job to its end (all at once, or one after another), even when one fails, so
 * that a failure never closes the session under jobs still running; then throws the first.
 */
async function runEvery(jobs: ReadonlyArray<() => Promise<void>>, parallel: boolean): Promise<void> {
  const failures: unknown[] = [];
  const run = (job: () => Promise<void>) => job().catch((err: unknown) => void failures.push(err));
  if (parallel) await Promise.all(jobs.map(run));
  else for (const job of jobs) await run(job);
  if (failures.length > 0) throw failures[0];
}

async function evaluateRandomInit(pool: ClientPool, scenario: Scenario, retry: RetryPolicy, logger: Logger): Promise<EvalMetrics> {
  return (await runWithRetries(pool, evalTaskFor(scenario, 'random-init:eval'), null, null, retry, { logger })).metrics;
}
