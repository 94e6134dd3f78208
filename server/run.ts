/**
 * One scenario run, end to end: start the coordinator, launch (or wait for) clients, ask
 * one for the stream's chunk sizes, evaluate the random-init encoder, run every arm,
 * write results.json and report.md, and stop everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../shared/log.js';
import type { PlanTask, StreamSummary } from '../shared/protocol.js';
import type { BackendName, Scenario } from '../shared/scenario.js';
import type { EvalMetrics, EvalTask, Progress } from '../shared/tasks.js';
import { CheckpointStore } from './checkpoints.js';
import { startCoordinator } from './coordinator.js';
import type { ClientSnapshot } from './registry.js';
import { analyzeRunDir } from './analyze.js';
import { writeReportFiles } from './report-files.js';
import { buildResults, writeResults, type Results } from './results.js';
import { computeMatchingNote, runArm, type ArmRun } from './schedule/index.js';
import { spawnClients } from './spawn.js';
import type { TlsCredentials } from './tls.js';
import { withWorker, type WorkerPool } from './worker.js';

/** What a launcher is told about the coordinator its clients must join. */
export interface LaunchContext {
  url: string;
  token: string;
  count: number;
  backend: BackendName;
  /** Compute threads per client (see `clientThreads`). */
  threads: number;
  logDir: string;
  logger: Logger;
}

export interface LaunchedClients {
  stop(): Promise<void>;
  /** Settles when every launched client has gone: the run then fails instead of waiting forever. */
  allExited?: Promise<unknown>;
}

/** Starts the clients of a run (processes by default; in-process ones in tests). */
export type ClientLauncher = (context: LaunchContext) => Promise<LaunchedClients> | LaunchedClients;

/** Spawns local client processes (see spawn.ts). */
export const spawnLauncher: ClientLauncher = (ctx) =>
  spawnClients({ count: ctx.count, serverUrl: ctx.url, token: ctx.token, backend: ctx.backend, threads: ctx.threads, logDir: ctx.logDir, logger: ctx.logger });

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

export interface RunScenarioOptions {
  scenario: Scenario;
  outDir: string;
  /** Clients to launch (or, with `launch: null`, to wait for). Default: scenario.clients.count, else one per chunk. */
  clients?: number;
  /** Overrides scenario.clients.backend. */
  backend?: BackendName;
  /** Overrides scenario.clients.threads (threads per launched client). */
  threads?: number;
  /**
   * Training samples per chunk. When absent a client computes them with the stream
   * splitter (a `plan` task), since the coordinator holds no data.
   */
  chunkSizes?: number[];
  /** Where to listen; default 127.0.0.1, a free port, a random token and plain http. */
  listen?: { host?: string; port?: number; token?: string; tls?: TlsCredentials };
  /** How clients are started; default `spawnLauncher`; null waits for remote clients. */
  launch?: ClientLauncher | null;
  logger?: Logger;
  /** How long launched clients may take to connect (default 120 s; remote clients are awaited forever). */
  connectTimeoutMs?: number;
}

export interface RunSummary {
  results: Results;
  report: string;
  resultsPath: string;
  reportPath: string;
}

/** Runs every arm of `scenario` and writes `outDir/results.json`, `report.md` and checkpoints. */
export async function runScenario(options: RunScenarioOptions): Promise<RunSummary> {
  const { scenario, outDir } = options;
  const logger = options.logger ?? createLogger({ name: 'coordinator' });
  const count = options.clients ?? scenario.clients.count ?? scenario.stream.chunks;
  const backend = options.backend ?? scenario.clients.backend;
  const parallel = scenario.clients.parallelArms && count > 1;
  const threads = options.threads ?? scenario.clients.threads ?? clientThreads({ clients: count, arms: scenario.arms.length, parallelArms: parallel });
  const startedAt = new Date();
  await mkdir(outDir, { recursive: true });
  const token = options.listen?.token ?? randomBytes(24).toString('base64url');
  const coordinator = await startCoordinator({
    host: options.listen?.host ?? '127.0.0.1',
    port: options.listen?.port ?? 0,
    token,
    tls: options.listen?.tls,
    logger,
    stageTimeoutMs: scenario.clients.stageTimeoutSeconds * 1000,
    onProgress: progressLogger(logger),
  });
  const pool = coordinator.registry;
  const seen = new Map<string, ClientSnapshot>();
  const noteClients = () => pool.list().forEach((c) => seen.set(c.id, c));
  let launched: LaunchedClients | null = null;
  let summary: RunSummary;
  try {
    const launcher = options.launch === undefined ? spawnLauncher : options.launch;
    if (launcher) {
      logger.info({ backend, threadsPerClient: threads }, 'launching clients');
      launched = await launcher({ url: coordinator.url, token, count, backend, threads, logDir: join(outDir, 'logs'), logger });
      void launched.allExited?.then((lines) => pool.fail(new Error(`every client exited before the run finished: ${formatLines(lines)}`)));
    } else {
      const urls = coordinator.publicUrls.join(' or ');
      const ca = options.listen?.tls ? ' [--ca <certificate file>, when it is self-signed]' : '';
      logger.info(`waiting for ${count} client(s): on each machine run  streamssl client --server ${urls} --token <token>${ca}`);
    }
    await pool.waitForClients(count, launcher ? (options.connectTimeoutMs ?? 120_000) : undefined);
    noteClients();
    logger.info({ clients: pool.list().map((c) => `${c.id} (${c.backend ?? 'backend ?'})`) }, 'clients ready');

    const stream = options.chunkSizes ? { chunks: options.chunkSizes.map((size, id) => ({ id, size })) } : await planStream(pool, scenario);
    const chunkSizes = stream.chunks.map((c) => c.size);
    logger.info({ chunkSizes }, 'stream planned');
    const checkpoints = new CheckpointStore(outDir);

    const jobs: Array<() => Promise<EvalMetrics | ArmRun>> = [
      () => evaluateRandomInit(pool, scenario),
      ...scenario.arms.map((arm) => () => runArm({ scenario, arm, chunkSizes }, { pool, checkpoints, logger })),
    ];
    const outputs = parallel ? await Promise.all(jobs.map((job) => job())) : await sequentially(jobs);
    noteClients();

    const results = buildResults({
      scenario,
      randomInit: outputs[0] as EvalMetrics,
      arms: outputs.slice(1) as ArmRun[],
      computeMatching: computeMatchingNote({ scenario, chunkSizes }),
      stream,
      clients: [...seen.values()],
      startedAt,
      finishedAt: new Date(),
    });
    const resultsPath = await writeResults(outDir, results);
    const { report, reportPath } = await writeReportFiles(outDir, results);
    logger.info({ results: resultsPath, report: reportPath }, 'run finished');
    summary = { results, report, resultsPath, reportPath };
  } finally {
    await coordinator.close();
    await launched?.stop();
  }
  return scenario.analysis.atEnd ? analyzeAtEnd(summary, outDir, options.backend ?? scenario.clients.backend, logger) : summary;
}

/**
 * The scenario's analyses, once the clients are gone (they free the cores). A failure is
 * logged and the run's results stand: `streamssl analyze` can be run again later.
 */
async function analyzeAtEnd(summary: RunSummary, outDir: string, backend: BackendName, logger: Logger): Promise<RunSummary> {
  try {
    await analyzeRunDir({ runDir: outDir, backend, logger });
    const results = JSON.parse(await readFile(summary.resultsPath, 'utf8')) as Results;
    return { ...summary, results, report: await readFile(summary.reportPath, 'utf8') };
  } catch (err) {
    logger.error({ err: (err as Error).message }, `analysis failed; the run's results are kept (retry with: streamssl analyze ${outDir})`);
    return summary;
  }
}

async function planStream(pool: WorkerPool, scenario: Scenario): Promise<StreamSummary> {
  const task: PlanTask = { kind: 'plan', taskId: 'stream:plan', seed: scenario.seed, dataset: scenario.dataset, stream: scenario.stream };
  const outcome = await withWorker(pool, (worker) => worker.runTask(task, null, null));
  return outcome.metrics;
}

async function evaluateRandomInit(pool: WorkerPool, scenario: Scenario): Promise<EvalMetrics> {
  const task: EvalTask = {
    kind: 'eval',
    taskId: 'random-init:eval',
    seed: scenario.seed,
    dataset: scenario.dataset,
    model: scenario.model,
    ssl: scenario.ssl,
    evaluation: scenario.evaluation,
    stream: scenario.stream,
  };
  const outcome = await withWorker(pool, (worker) => worker.runTask(task, null, null));
  return outcome.metrics;
}

async function sequentially<R>(jobs: ReadonlyArray<() => Promise<R>>): Promise<R[]> {
  const out: R[] = [];
  for (const job of jobs) out.push(await job());
  return out;
}

/** Logs training progress at most every 10 s per task, and its last step. */
function progressLogger(logger: Logger): (clientId: string, p: Progress) => void {
  const last = new Map<string, number>();
  return (clientId, p) => {
    const now = Date.now();
    if (p.step < p.steps && now - (last.get(p.taskId) ?? 0) < 10_000) return;
    last.set(p.taskId, now);
    logger.info({ client: clientId, taskId: p.taskId, step: p.step, steps: p.steps, loss: p.loss }, 'progress');
  };
}

function formatLines(value: unknown): string {
  return Array.isArray(value) ? value.join('; ') : String(value);
}
