/**
 * One scenario run, end to end: start its journal, open a session (coordinator and
 * clients), ask a client for the stream's chunk sizes, evaluate the random-init encoder,
 * run every arm, write results.json and report.md, and stop everything. Each piece goes to
 * the journal as soon as it is done, and the same code continues a run that was cut short
 * (`continueRun`, see resume.ts): it does only what the journal does not hold yet. An arm
 * that fails does not stop the others; the results then hold its finished stages and error.
 */
import type { ResultCheck } from '../states/state-check.js';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../shared/log.js';
import type { BackendName, Scenario } from '../../shared/scenario.js';
import type { EvalMetrics, Progress } from '../../shared/tasks.js';
import { CheckpointStore } from './checkpoints.js';
import { writePolicy, type WritePolicy } from './file-writes.js';
import { JournalError, RunJournal, type ClientSetup } from './journal.js';
import { analyzeRunDir } from '../analysis/analyze.js';
import { writeReportFiles } from '../report/report-files.js';
import { buildResults, writeResults, type Results } from '../report/results.js';
import { planStream } from './plan-stream.js';
import { armStarts, type ArmStart } from './resume-point.js';
import { runWithRetries, type RetryPolicy } from './retry.js';
import { evalTaskFor } from '../schedule/eval-task.js';
import { computeMatchingNote, modeOf, runArm, type ArmRun } from '../schedule/index.js';
import { openSession, spawnLauncher, type ClientLauncher, type Session, type SessionOptions } from '../clients/session.js';
import { MAX_RECORDED_ERROR_LENGTH, plainText } from '../net/client-text.js';
import type { ClientPool } from '../clients/pool.js';
import type { EventSink, RunEvents } from '../observe/bus.js';
import { armsPlannedEvent, observeRun, runStartedEvent } from '../observe/run-observer.js';
import { armFailedEvent } from '../observe/stage-events.js';
import { ArmFailedError } from '../schedule/run-arm.js';
import { sampleRunMemory } from './memory-sampler.js';

export type { ClientLauncher, LaunchContext, LaunchedClients } from '../clients/session.js';
export { spawnLauncher } from '../clients/session.js';

/**
 * Threads per local client: this machine's cores shared by the clients that train at the
 * same time, so that parallel arms do not oversubscribe the CPU. Relay and joint arms each
 * keep one client busy (relay hands its model from client to client), so that is one per
 * arm when arms run in parallel, else one. Static: when one arm finishes first, the other
 * keeps its share (a client fixes its threads when its backend starts).
 */
export function clientThreads(o: { clients: number; arms: number; parallelArms: boolean }, cores = availableParallelism()): number {
  const busy = o.parallelArms ? Math.max(1, Math.min(o.clients, o.arms)) : 1;
  return Math.max(1, Math.floor(cores / busy));
}

function gpusOf(gpus: string[] | undefined): { gpus?: string[] } {
  return gpus && gpus.length > 0 ? { gpus } : {};
}

/** Clients the arms keep busy at once: one per relay or joint arm, one per chunk for fedavg (each mode says). */
function clientsBusyAtOnce(scenario: Scenario): number {
  return scenario.arms.reduce((n, arm) => n + modeOf(arm).busyClients(arm, scenario), 0);
}

export interface RunScenarioOptions {
  scenario: Scenario;
  outDir: string;
  /** Clients to launch (or, with `launch: null`, to wait for). Default: scenario.clients.count, else one per chunk. */
  clients?: number;
  /** Overrides scenario.clients.backend. */
  backend?: BackendName;
  /** Overrides scenario.clients.threads (threads per launched client). */
  threads?: number;
  /** Overrides scenario.clients.gpus: GPU ids launched clients get round-robin. */
  gpus?: string[];
  /**
   * Training samples per chunk. When absent a client computes them with the stream
   * splitter (a `plan` task), since the coordinator holds no data.
   */
  chunkSizes?: number[];
  /**
   * Where to listen; default 127.0.0.1, a free port and a random token; https with `tls`;
   * Prometheus `/metrics` behind `viewerToken` with `metrics` (see coordinator.ts).
   */
  listen?: SessionOptions['listen'];
  /** How clients are started; default `spawnLauncher`; null waits for remote clients. */
  launch?: ClientLauncher | null;
  /** The run's event bus (e.g. with a terminal display attached); default a new one. Appended to DIR/metrics.jsonl either way. */
  events?: RunEvents;
  logger?: Logger;
  /** How long launched clients may take to connect (default 120 s, 5 s per client beyond 24; remote clients are awaited forever). */
  connectTimeoutMs?: number;
  /** Sees every progress report of every client (the log keeps one per 10 s). */
  onProgress?: (clientId: string, progress: Progress) => void;
  /** How returned states and replay buffers are checked (default: against the task's model); tests' fake engines pass their own. */
  resultCheck?: ResultCheck;
  /** How checkpoints and the journal are written and retried (default `DEFAULT_WRITE_POLICY`). */
  writes?: Partial<WritePolicy>;
}

/** An arm that stopped before its last stage. */
export interface ArmFailure {
  arm: string;
  error: string;
}

export interface RunSummary {
  results: Results;
  report: string;
  resultsPath: string;
  reportPath: string;
  journalPath: string;
  /** Arms that stopped before their last stage; the results hold the stages they finished. */
  failures: ArmFailure[];
}

/** A run that could not write its results; the message says where what it finished is kept. */
export class RunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunError';
  }
}

/** How long the stream plan waits for a second client to confirm it, when the run has more than one. */
const SECOND_PLAN_WAIT_MS = 10_000;

/**
 * How a new run starts its clients; `runsAtOnce` runs of the scenario (seeds) share them,
 * so the cores are divided among all their busy clients.
 */
export function clientSetup(options: RunScenarioOptions, runsAtOnce = 1): ClientSetup {
  const { scenario } = options;
  const clients = options.clients ?? scenario.clients.count ?? scenario.stream.chunks;
  const parallelArms = scenario.clients.parallelArms && clients > 1;
  return {
    clients,
    backend: options.backend ?? scenario.clients.backend,
    threads: options.threads ?? scenario.clients.threads ?? clientThreads({ clients, arms: clientsBusyAtOnce(scenario) * (parallelArms ? runsAtOnce : 1), parallelArms }),
    remote: options.launch === null,
    ...gpusOf(options.gpus ?? scenario.clients.gpus),
  };
}

/** The stream plan a run is given (`chunkSizes`), if any. */
export function givenStream(options: Pick<RunScenarioOptions, 'chunkSizes'>): { chunks: Array<{ id: number; size: number }> } | undefined {
  return options.chunkSizes ? { chunks: options.chunkSizes.map((size, id) => ({ id, size })) } : undefined;
}

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

export interface ContinueRunOptions {
  /** The clients to start (or wait for) in this session. */
  setup: ClientSetup;
  /** Default: spawned local clients, or none (wait for remote ones) when `setup.remote`. */
  launch?: ClientLauncher | null;
  listen?: RunScenarioOptions['listen'];
  logger?: Logger;
  connectTimeoutMs?: number;
  onProgress?: RunScenarioOptions['onProgress'];
  resultCheck?: ResultCheck;
  writes?: RunScenarioOptions['writes'];
  events?: RunEvents;
  /** This session continues a run cut short (resume.ts). */
  resumed?: boolean;
  /**
   * The clients of a session this run shares with others (a multi-seed run's, seeds.ts),
   * asked for only when the run has work for them; the run then neither opens nor closes one.
   */
  sharedPool?: () => Promise<ClientPool>;
  /** Run the scenario's analyses at the end (default `analysis.atEnd`). */
  analyzeAtEnd?: boolean;
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
        arms[i] = await runJournaledArm(journal, start, { pool: pool!, checkpoints, retry, logger, chunkSizes, events });
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

/** Opens the session of a run in `runDir` (of one seed, or of several sharing it); every client that joins goes to each of `journals`. */
export function openRunSession(
  scenario: Scenario,
  runDir: string,
  journals: readonly RunJournal[],
  o: Pick<ContinueRunOptions, 'setup' | 'launch' | 'listen' | 'connectTimeoutMs' | 'onProgress' | 'resultCheck'> & { events: RunEvents; logger: Logger },
): Promise<Session> {
  const { logger } = o;
  return openSession({
    scenario,
    setup: o.setup,
    launcher: o.launch === undefined ? (o.setup.remote ? null : spawnLauncher) : o.launch,
    logDir: join(runDir, 'logs'),
    listen: o.listen,
    events: o.events,
    logger,
    connectTimeoutMs: o.connectTimeoutMs,
    onProgress: o.onProgress,
    ...(o.resultCheck ? { resultCheck: o.resultCheck } : {}),
    onJoin: (c) => {
      const client = { id: c.id, hostname: c.hostname, pid: c.pid, ...(c.backend ? { backend: c.backend } : {}), ...(c.backendReason ? { backendReason: c.backendReason } : {}), ...(c.device ? { device: c.device } : {}), address: c.address };
      for (const journal of journals) void journal.recordClient(client).catch((err: unknown) => logger.error({ err }, 'could not journal a client'));
    },
  });
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

/** Where a cut-short run keeps what it finished, and how to continue it. */
export function whereTheRunIs(runDir: string): string {
  return `what finished is kept in ${runDir} (journal.json, checkpoints/, logs/); continue with:  streamssl resume ${runDir}`;
}

interface ArmContext {
  pool: ClientPool;
  checkpoints: CheckpointStore;
  retry: RetryPolicy;
  logger: Logger;
  chunkSizes: number[];
  events: EventSink;
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

/**
 * Runs what is left of one arm, journaling each stage; a failure (a stage, a checkpoint or
 * journal write that failed for good) ends this arm only, and never rejects.
 */
async function runJournaledArm(journal: RunJournal, start: ArmStart, ctx: ArmContext): Promise<ArmRun> {
  const { arm } = start;
  if (start.done) return { arm, stages: start.finished };
  if (start.resume) ctx.logger.info({ arm: arm.name, after: start.resume.stages.length - 1 }, 'arm continues after its last finished stage');
  try {
    if (journal.armError(arm.name) !== null) await journal.recordArmError(arm.name, null);
    const { chunkSizes, ...runContext } = ctx;
    return await runArm({ scenario: journal.scenario, arm, chunkSizes }, {
      ...runContext,
      ...(start.resume ? { resume: start.resume } : {}),
      onStage: (_, record) => journal.recordStage(arm.name, record),
      onRetry: (_, stage, e) => journal.recordRetry({ taskId: e.taskId, arm: arm.name, stage, attempt: e.attempt, client: e.client, reason: e.reason }),
    });
  } catch (err) {
    // The error may quote a client: one plain, bounded line in the journal, results.json and report.md.
    const error = plainText((err as Error).message ?? String(err), MAX_RECORDED_ERROR_LENGTH);
    ctx.logger.error({ arm: arm.name, err: error }, 'arm failed; the other arms go on');
    ctx.events.publish(armFailedEvent(arm.name, error, err instanceof ArmFailedError ? err.stage : undefined));
    // The journal may be what failed: the arm's failure is reported all the same, and resume continues after its last journaled stage.
    await journal
      .recordArmError(arm.name, error)
      .catch((journalErr: unknown) =>
        ctx.logger.error({ arm: arm.name, err: (journalErr as Error).message }, `could not journal why the arm stopped; ${journal.path} holds the stages it finished before`),
      );
    return { arm, stages: journal.stages(arm.name), error };
  }
}

async function evaluateRandomInit(pool: ClientPool, scenario: Scenario, retry: RetryPolicy, logger: Logger): Promise<EvalMetrics> {
  return (await runWithRetries(pool, evalTaskFor(scenario, 'random-init:eval'), null, null, retry, { logger })).metrics;
}
