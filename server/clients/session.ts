/**
 * A run's session: the coordinator and the clients it works with, from their launch (or
 * the wait for remote clients) to shutdown. Clients are reported as they join, restarted
 * processes included, so the journal knows every process that took part.
 */
import type { ResultCheck } from '../states/state-check.js';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../shared/log.js';
import { ProgressThrottle } from '../../shared/progress-throttle.js';
import type { BackendName, Scenario } from '../../shared/scenario.js';
import type { Progress } from '../../shared/tasks.js';
import { startCoordinator } from '../net/coordinator.js';
import type { TlsCredentials } from '../net/tls.js';
import type { ClientSetup } from '../run/journal.js';
import type { ClientRegistry, ClientSnapshot } from './registry.js';
import { checkChunksHeld, chunkHoldings } from './placement.js';
import { scenarioStateBytes } from '../schedule/state-bytes.js';
import { spawnClients } from './spawn.js';
import type { EventSink, RunEvents } from '../observe/bus.js';

/** What a launcher is told about the coordinator its clients must join. */
export interface LaunchContext {
  url: string;
  token: string;
  count: number;
  backend: BackendName;
  /** Compute threads per client (see `clientThreads` in run.ts). */
  threads: number;
  /** Times each client may be started again after its process died (`clients.restarts`). */
  restarts: number;
  /** GPU ids spawned clients are given round-robin (`--gpus`, `clients.gpus`). */
  gpus?: readonly string[];
  /** The chunks each client holds, by client index (`clients.placement`); null: every client all. */
  holdings: readonly number[][] | null;
  logDir: string;
  logger: Logger;
  /** Told of client processes started again (spawned clients). */
  events?: EventSink;
}

export interface LaunchedClients {
  stop(): Promise<void>;
  /** Settles when every launched client has gone for good: the run then fails instead of waiting forever. */
  allExited?: Promise<unknown>;
}

/** Starts the clients of a run (processes by default; in-process ones in tests). */
export type ClientLauncher = (context: LaunchContext) => Promise<LaunchedClients> | LaunchedClients;

/** Spawns local client processes, restarted when they die (see spawn.ts). */
export const spawnLauncher: ClientLauncher = (ctx) =>
  spawnClients({
    count: ctx.count,
    serverUrl: ctx.url,
    token: ctx.token,
    backend: ctx.backend,
    threads: ctx.threads,
    logDir: ctx.logDir,
    logger: ctx.logger,
    maxRestarts: ctx.restarts,
    ...(ctx.gpus ? { gpus: ctx.gpus } : {}),
    ...(ctx.holdings ? { holdings: ctx.holdings } : {}),
    ...(ctx.events ? { events: ctx.events } : {}),
  });

export interface SessionOptions {
  scenario: Scenario;
  setup: ClientSetup;
  /** How clients are started; null waits for remote clients. */
  launcher: ClientLauncher | null;
  logDir: string;
  /** Where to listen; default 127.0.0.1, a free port and a random token; https with `tls`. */
  listen?: {
    host?: string;
    port?: number;
    token?: string;
    tls?: TlsCredentials;
    viewerToken?: string;
    metrics?: boolean;
    /** Serve the dashboard, reached through `host` (see coordinator.ts). */
    dashboard?: { host: string };
    /** Called with the coordinator's URLs and port once it listens (e.g. to print where /metrics and the dashboard are). */
    onListening?: (urls: string[], port: number) => void;
  };
  /** The run's events (clients, tasks, progress, restarts...). */
  events?: RunEvents;
  logger: Logger;
  /** How long launched clients may take to connect (default 120 s; remote clients are awaited forever). */
  connectTimeoutMs?: number;
  onProgress?: (clientId: string, progress: Progress) => void;
  onJoin?: (client: ClientSnapshot) => void;
  /** How returned states and replay buffers are checked (default: against the task's model). */
  resultCheck?: ResultCheck;
}

export interface Session {
  /** The connected clients, as a worker pool. */
  readonly pool: ClientRegistry;
  /** Stops the launched clients, then the coordinator. */
  close(): Promise<void>;
}

/**
 * How long launched clients may take to join: 120 s, or 5 s per client when there are
 * more, since each process loads TypeScript and TensorFlow.js and many share few cores.
 */
export function defaultConnectTimeoutMs(clients: number): number {
  return Math.max(120_000, clients * 5_000);
}

/** Starts the coordinator and resolves once `setup.clients` clients have joined. */
export async function openSession(o: SessionOptions): Promise<Session> {
  const { scenario, setup, logger } = o;
  const token = o.listen?.token ?? randomBytes(24).toString('base64url');
  const logProgress = progressLogger(logger);
  const stateBytes = scenarioStateBytes(scenario);
  const coordinator = await startCoordinator({
    host: o.listen?.host ?? '127.0.0.1',
    port: o.listen?.port ?? 0,
    tls: o.listen?.tls,
    token,
    ...(o.listen?.viewerToken !== undefined ? { viewerToken: o.listen.viewerToken } : {}),
    ...(o.listen?.metrics ? { metrics: true } : {}),
    ...(o.listen?.dashboard ? { dashboard: o.listen.dashboard } : {}),
    ...(o.events ? { events: o.events } : {}),
    logger,
    stageTimeoutMs: scenario.clients.stageTimeoutSeconds * 1000,
    heartbeatTimeoutMs: scenario.clients.heartbeatSeconds * 1000,
    // A cut stops progress reports as it stops pongs: one the heartbeat tolerates must not end the session first.
    progressTimeoutMs: Math.max(scenario.clients.progressTimeoutSeconds, scenario.clients.heartbeatSeconds) * 1000,
    ...(o.resultCheck ? { resultCheck: o.resultCheck } : {}),
    ...(stateBytes ? { stateBytes } : {}),
    onProgress: (clientId, progress) => {
      logProgress(clientId, progress);
      o.onProgress?.(clientId, progress);
    },
  });
  const pool = coordinator.registry;
  o.listen?.onListening?.(coordinator.publicUrls, coordinator.port);
  if (o.onJoin) pool.onJoin(o.onJoin);
  let launched: LaunchedClients | null = null;
  // Clients first: once they are told to stop, none restarts when the coordinator ends its session.
  const close = async () => {
    await launched?.stop();
    await coordinator.close();
  };
  try {
    if (o.launcher) {
      logger.info({ backend: setup.backend, threadsPerClient: setup.threads }, 'launching clients');
      launched = await o.launcher({
        url: coordinator.url,
        token,
        count: setup.clients,
        backend: setup.backend,
        threads: setup.threads,
        restarts: scenario.clients.restarts,
        ...(setup.gpus ? { gpus: setup.gpus } : {}),
        holdings: chunkHoldings(scenario.clients.placement, setup.clients, scenario.stream.chunks),
        logDir: o.logDir,
        logger,
        ...(o.events ? { events: o.events } : {}),
      });
      void launched.allExited?.then((lines) => pool.fail(new Error(`every client exited before the run finished: ${formatLines(lines)}`)));
    } else {
      const urls = coordinator.publicUrls.join(' or ');
      const ca = o.listen?.tls ? ' [--ca <certificate file>, when it is self-signed]' : '';
      logger.info(`waiting for ${setup.clients} client(s): on each machine run  streamssl client --server ${urls} --token <token>${ca}`);
    }
    await pool.waitForClients(setup.clients, o.launcher ? (o.connectTimeoutMs ?? defaultConnectTimeoutMs(setup.clients)) : undefined);
    checkChunksHeld(pool.list(), scenario.stream.chunks);
    logger.info({ clients: pool.list().map((c) => `${c.id} (${c.backend ?? 'backend ?'})`) }, 'clients ready');
    return { pool, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Logs training progress at most every 10 s per task, and its last step. */
function progressLogger(logger: Logger): (clientId: string, p: Progress) => void {
  const throttle = new ProgressThrottle(10_000);
  return (clientId, p) => {
    if (!throttle.passes(p.taskId, p.step, p.steps)) return;
    logger.info({ client: clientId, taskId: p.taskId, step: p.step, steps: p.steps, loss: p.loss }, 'progress');
  };
}

function formatLines(value: unknown): string {
  return Array.isArray(value) ? value.join('; ') : String(value);
}
