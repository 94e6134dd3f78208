/** The run loop's events, made from what it holds: a finished stage, a retry, a failed arm. */
import { MAX_EVENT_TEXT, type RunEventInput } from '../../shared/observe/run-events.js';
import type { RetryEvent } from '../run/retry.js';
import type { TrainMetrics } from '../../shared/tasks.js';
import { plainText } from '../net/client-text.js';

/** What a finished stage's event is made of (the run loop's `StageRecord` has it). */
export interface FinishedStage {
  stage: number;
  clientId: string;
  metrics: TrainMetrics;
  handoffSeconds: number;
  overheadSeconds?: number[];
}

/** `stage-done` of `record`, a stage of `arm` (whose mode is `mode`). */
export function stageDoneEvent(arm: string, mode: string, record: FinishedStage): RunEventInput {
  const { metrics } = record;
  const evaluation = metrics.eval;
  return {
    type: 'stage-done',
    arm,
    mode,
    stage: record.stage,
    clients: record.clientId.split(','),
    steps: metrics.steps,
    lossFirst: metrics.lossFirst,
    lossLast: metrics.lossLast,
    trainSeconds: metrics.trainSeconds,
    imagesPerSecond: metrics.imagesPerSecond,
    handoffSeconds: record.handoffSeconds,
    ...(record.overheadSeconds ? { overheadSeconds: record.overheadSeconds } : {}),
    ...(evaluation
      ? {
          knnTop1: evaluation.knnTop1,
          linearTop1: evaluation.linearTop1,
          evalSeconds: evaluation.seconds,
          ...(evaluation.perChunk ? { perChunk: evaluation.perChunk.map(({ chunk, knnTop1, linearTop1 }) => ({ chunk, knnTop1, linearTop1 })) } : {}),
        }
      : {}),
  };
}

/** `retry` of a task of `arm`'s stage `stage`; the reason (which may quote a client) made plain. */
export function retryEvent(arm: string, stage: number, e: RetryEvent): RunEventInput {
  return { type: 'retry', taskId: e.taskId, arm, stage, attempt: e.attempt, client: e.client, reason: plainText(e.reason, MAX_EVENT_TEXT) };
}

/** `arm-failed`: `error` is made plain and bounded. */
export function armFailedEvent(arm: string, error: string, stage?: number): RunEventInput {
  return { type: 'arm-failed', arm, ...(stage !== undefined ? { stage } : {}), error: plainText(error, MAX_EVENT_TEXT) };
}
