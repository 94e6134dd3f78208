/**
 * What a run is given and what it gives back: the options of a new run (`runScenario`) and
 * of a session that continues one (`continueRun`, ./run.ts), its summary, and the error of a
 * run that stopped before writing its results, which says where what it finished is kept.
 */
import type { Logger } from '../../shared/log.js';
import type { BackendName, Scenario } from '../../shared/scenario.js';
import type { Progress } from '../../shared/tasks.js';
import type { ClientLauncher, SessionOptions } from '../clients/session.js';
import type { ClientPool } from '../clients/pool.js';
import type { RunEvents } from '../observe/bus.js';
import type { Results } from '../report/results.js';
import type { ResultCheck } from '../states/state-check.js';
import type { WritePolicy } from './file-writes.js';
import type { ClientSetup } from './journal.js';

/** A new run: its scenario, where it writes, and how its clients are started. */
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

/** What a finished run wrote, and where. */
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

/** One session of a run, a new one's or one that continues it: its clients and how it reports. */
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
  /** Runs that share this one's clients at once (a multi-seed run's seeds; default 1): see `evaluationAside`. */
  runsAtOnce?: number;
}

/** Where a cut-short run keeps what it finished, and how to continue it. */
export function whereTheRunIs(runDir: string): string {
  return `what finished is kept in ${runDir} (journal.json, checkpoints/, logs/); continue with:  streamssl resume ${runDir}`;
}
