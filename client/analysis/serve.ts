/**
 * The analysis process's side of the conversation in shared/analysis-ipc.ts: waits for
 * the coordinator's `start`, loads the backend, runs the analyses reading each state from
 * the coordinator, and answers with the results or the reason they failed.
 */
import { describeIssues } from '../../shared/protocol.js';
import { analysisParentMessageSchema, boundedMessage, type AnalysisChildMessage, type AnalysisStart, type StateAnswer } from '../../shared/analysis-ipc.js';
import { selectBackend } from '../backend.js';
import { analyzeRun } from './analyze-run.js';

/** The channel to the coordinator (the process's IPC channel; a fake one in tests). */
export interface ParentChannel {
  send(message: AnalysisChildMessage): Promise<void>;
  /** Calls `listener` with every message the coordinator sends, unchecked. */
  onMessage(listener: (message: unknown) => void): void;
}

/** Exit codes: 0 results sent, 1 the analyses failed (reason sent), 2 the coordinator sent something invalid. */
export async function serveAnalysis(channel: ParentChannel): Promise<number> {
  const pending = new Map<number, PendingRead>();
  let started: (start: AnalysisStart) => void = () => {};
  let broken: InvalidMessageError | undefined;
  let refused: (err: Error) => void = () => {};
  const start = new Promise<AnalysisStart>((resolve, reject) => {
    started = resolve;
    refused = reject;
  });
  channel.onMessage((raw) => {
    const parsed = analysisParentMessageSchema.safeParse(raw);
    if (!parsed.success) {
      // Nothing the coordinator says can be trusted after this: stop waiting on it.
      broken ??= new InvalidMessageError(`invalid message from the coordinator: ${describeIssues(parsed.error)}`);
      refused(broken);
      for (const request of pending.values()) request.reject(broken);
      pending.clear();
      return;
    }
    const message = parsed.data;
    if (message.type === 'start') started(message);
    else answer(pending, message);
  });
  await channel.send({ type: 'hello', pid: process.pid });

  let nextId = 0;
  const readState = (arm: string, stage: number) =>
    new Promise<Uint8Array>((resolve, reject) => {
      if (broken) return reject(broken);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      channel.send({ type: 'read-state', id, arm, stage }).catch(reject);
    });
  try {
    const task = await start;
    const backend = await selectBackend(task.backend, task.threads === undefined ? {} : { threads: task.threads });
    await channel.send({ type: 'ready', backend: backend.name });
    const analysis = await analyzeRun({
      readState,
      options: task.options,
      arms: task.arms,
      backend: backend.name,
      log: (message) => void channel.send({ type: 'log', message: boundedMessage(message) }).catch(() => {}),
    });
    if (broken) throw broken;
    await channel.send({ type: 'done', analysis });
    return 0;
  } catch (err) {
    const reason = (err as Error).message ?? String(err);
    process.stderr.write(`streamssl analysis: ${(err as Error).stack ?? reason}\n`);
    await channel.send({ type: 'failed', message: boundedMessage(reason) });
    return err instanceof InvalidMessageError ? 2 : 1;
  }
}

interface PendingRead {
  resolve: (state: Uint8Array) => void;
  reject: (err: Error) => void;
}

class InvalidMessageError extends Error {}

/** Settles the `read-state` request the coordinator answered; an answer to nothing asked is ignored. */
function answer(pending: Map<number, PendingRead>, message: StateAnswer): void {
  const request = pending.get(message.id);
  if (!request) return;
  pending.delete(message.id);
  // A copy: the received view points into the whole IPC message, at any alignment.
  if (message.type === 'state') request.resolve(new Uint8Array(message.state));
  else request.reject(new Error(message.message));
}
