/**
 * Runs a run's analyses in a separate process (client/analysis/main.ts), so that the
 * coordinator never loads TensorFlow.js. The conversation is shared/analysis-ipc.ts: the
 * process asks for each checkpoint's state and this side answers from the run's files;
 * everything it sends is checked before it is used.
 *
 * The process ends with its answer. It is killed when the call is abandoned (`signal`),
 * when it sends something invalid, and when this process exits; it leaves by itself when
 * the IPC channel closes. The promise settles only once it has exited, so none is left.
 */
import { analysisChildMessageSchema, type AnalysisChildMessage, type AnalysisParentMessage, type AnalysisStart } from '../../shared/analysis-ipc.js';
import type { AnalysisResults } from '../../shared/analysis.js';
import type { Logger } from '../../shared/log.js';
import { describeIssues } from '../../shared/protocol.js';
import { OutputTail } from '../clients/output-tail.js';
import { describeExit, spawnEntry } from '../clients/node-process.js';
import { entryFile } from '../../shared/code-location.js';

export interface AnalysisProcessOptions {
  /** The run folder analyzed: errors name it. */
  runDir: string;
  /** What the process analyzes and on which backend. */
  start: Omit<AnalysisStart, 'type'>;
  /** Reads the state an arm saved after a stage; asked only for the arms and stages in `start`. */
  readState: (arm: string, stage: number) => Promise<Uint8Array>;
  logger: Logger;
  /** Aborting it kills the process; the promise then rejects. */
  signal?: AbortSignal;
  /** Entry point of the process (default client/analysis/main.ts of this checkout). */
  entry?: string;
  /** Extra environment for the process. */
  env?: NodeJS.ProcessEnv;
}

export interface AnalysisProcessResult {
  analysis: AnalysisResults;
  /** The process the analyses ran in. */
  pid: number;
  /** The backend they ran on. */
  backend: string;
}

/** The analysis process ended without results: it failed, crashed, misbehaved or was abandoned. */
export class AnalysisProcessError extends Error {
  constructor(
    message: string,
    /** Undefined when the process could not be started. */
    readonly pid: number | undefined,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
    this.name = 'AnalysisProcessError';
  }
}

/** How long a process that has answered (or was told to stop) may take to exit before it is killed. */
const EXIT_GRACE_MS = 10_000;

/** Starts the analysis process, serves it the states it asks for, and resolves with its results. */
export function runAnalysisProcess(o: AnalysisProcessOptions): Promise<AnalysisProcessResult> {
  if (o.signal?.aborted) return Promise.reject(new AnalysisProcessError(`analysis of ${o.runDir} was abandoned before it started`, undefined, null, null));
  const child = spawnEntry(o.entry ?? entryFile('client/analysis/main'), [], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Structured clone: state bytes cross as Uint8Arrays, not as JSON.
    serialization: 'advanced',
    env: { ...process.env, ...o.env },
  });
  // Its output is for diagnosis: logged at debug level, and its tail quoted if it dies.
  const output = new OutputTail((line) => o.logger.debug({ analysisPid: child.pid }, `analysis process: ${line}`));
  child.stdout?.on('data', (data: Buffer) => output.add(data));
  child.stderr?.on('data', (data: Buffer) => output.add(data));
  const allowed = new Set(o.start.arms.flatMap((arm) => arm.stages.map(({ stage }) => stateKey(arm.name, stage))));
  const send = (message: AnalysisParentMessage) => {
    // A send that fails means the process is gone; its exit says the rest.
    if (child.connected) child.send(message, () => {});
  };

  return new Promise((resolve, reject) => {
    // `explained`: the process said why itself, so its output need not be quoted.
    let outcome: { ok: true; analysis: AnalysisResults } | { ok: false; reason: string; explained: boolean } | undefined;
    let backend = '';
    let graceTimer: NodeJS.Timeout | undefined;
    /** Sets how the call ends (the first reason wins) and makes sure the process goes. */
    const finish = (result: NonNullable<typeof outcome>, kill: boolean) => {
      outcome ??= result;
      if (kill) child.kill('SIGKILL');
      graceTimer ??= setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    };
    const abandon = () => finish({ ok: false, reason: 'was abandoned', explained: true }, true);
    const killNow = () => child.kill('SIGKILL');
    o.signal?.addEventListener('abort', abandon, { once: true });
    process.once('exit', killNow);

    const answerRead = async (id: number, arm: string, stage: number) => {
      try {
        if (!allowed.has(stateKey(arm, stage))) throw new Error(`arm ${arm} stage ${stage} is not among the stages handed to the analyses`);
        send({ type: 'state', id, state: await o.readState(arm, stage) });
      } catch (err) {
        send({ type: 'state-error', id, message: (err as Error).message ?? String(err) });
      }
    };
    const onMessage = (raw: unknown) => {
      const parsed = analysisChildMessageSchema.safeParse(raw);
      if (!parsed.success) return finish({ ok: false, reason: `sent an invalid message (${describeIssues(parsed.error)})`, explained: false }, true);
      const message: AnalysisChildMessage = parsed.data;
      switch (message.type) {
        case 'hello':
          return send({ type: 'start', ...o.start });
        case 'ready':
          backend = message.backend;
          return o.logger.info({ runDir: o.runDir, backend, analyses: o.start.options.analysis.run, analysisPid: child.pid }, 'analysis starting');
        case 'read-state':
          return void answerRead(message.id, message.arm, message.stage);
        case 'log':
          return o.logger.info(`analysis: ${message.message}`);
        case 'done':
          // The checked message, not zod's copy of it: the same key order as the process wrote.
          return finish({ ok: true, analysis: (raw as { analysis: AnalysisResults }).analysis }, false);
        case 'failed':
          return finish({ ok: false, reason: `failed: ${message.message}`, explained: true }, false);
      }
    };
    child.on('message', onMessage);

    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(graceTimer);
      o.signal?.removeEventListener('abort', abandon);
      process.off('exit', killNow);
      child.off('message', onMessage);
      if (outcome?.ok) return resolve({ analysis: outcome.analysis, pid: child.pid!, backend });
      const what = `analysis of ${o.runDir}: the analysis process${child.pid === undefined ? '' : ` (pid ${child.pid})`}`;
      const reason = outcome?.reason ?? `${describeExit(code, signal)} before it answered`;
      const tail = outcome?.explained ? '' : output.text();
      reject(new AnalysisProcessError(`${what} ${reason}${tail ? `\nits last output:\n${tail}` : ''}`, child.pid, code, signal));
    };
    // 'close' comes after the exit and after the last message and output were read.
    child.once('close', settle);
    child.once('error', (err) => {
      if (child.pid !== undefined) return;
      finish({ ok: false, reason: `could not be started: ${err.message}`, explained: true }, false);
      settle(null, null);
    });
  });
}

function stateKey(arm: string, stage: number): string {
  return `${arm}\u0000${stage}`;
}
