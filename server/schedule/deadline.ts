/**
 * A stage's tasks against a round deadline, as federated frameworks close a round: the
 * results that arrived within the deadline are kept; the tasks still out are abandoned (no
 * retry, no client waited for), and what they return later is ignored. There is no way
 * to stop a task a client is running, so a late task keeps its client busy until it ends.
 */
import type { TrainMetrics } from '../../shared/tasks.js';
import type { HandOff, StageOutput } from './arm-mode.js';

/** The outcome of tasks run against a deadline. */
export interface InTime<R> {
  /** The results that arrived in time, in the order of the tasks (undefined: late). */
  results: (R | undefined)[];
  /** Indices of the tasks that were late. */
  late: number[];
}

/**
 * Starts every task of `runs` with a signal that aborts at the deadline, waits for all of
 * them or `seconds`, whichever comes first. A task that fails before the deadline fails the
 * stage (rejects); a late task's result or failure is reported to `onLate` and otherwise ignored.
 */
export async function runUntilDeadline<R>(runs: readonly ((abandoned: AbortSignal) => Promise<R>)[], seconds: number, onLate?: (index: number, end: { result?: R; error?: unknown }) => void): Promise<InTime<R>> {
  const controller = new AbortController();
  const results: (R | undefined)[] = new Array(runs.length).fill(undefined);
  const arrived = new Array<boolean>(runs.length).fill(false);
  const settled = runs.map((run, i) =>
    run(controller.signal).then(
      (result) => {
        if (controller.signal.aborted) onLate?.(i, { result });
        else [results[i], arrived[i]] = [result, true];
      },
      (error: unknown) => {
        if (!controller.signal.aborted) throw error;
        onLate?.(i, { error });
      },
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), seconds * 1000)));
  const all = Promise.all(settled);
  try {
    if ((await Promise.race([all, expired])) !== 'expired') return { results, late: [] };
  } finally {
    clearTimeout(timer);
  }
  controller.abort();
  all.catch(() => undefined); // late failures went to onLate
  return { results, late: arrived.flatMap((ok, i) => (ok ? [] : [i])) };
}

/** A stage's results that missed its deadline, as its record keeps them. */
export interface DroppedResults {
  /** The tasks whose results came too late (or never). */
  taskIds: string[];
  /** Their planned optimizer steps, left out of the stage's output. */
  steps: number;
  /** No result arrived in time: the stage handed on the previous stage's output unchanged. */
  keptPrevious: boolean;
}

/** The metrics of a stage that trained nothing: no steps, no losses (NaN, null in JSON). */
export const UNTRAINED_METRICS: TrainMetrics = { steps: 0, lossFirst: Number.NaN, lossLast: Number.NaN, trainSeconds: 0, imagesPerSecond: 0, dataWaitSeconds: 0, samples: 0, replaySamplesUsed: 0 };

/**
 * The output of a stage none of whose results arrived in time: the previous stage's,
 * unchanged. Before the first stage there is none to keep, and the stage fails.
 */
export function keptOutput(previous: HandOff | null, seconds: number): StageOutput {
  if (!previous) throw new Error(`no result arrived within the round deadline (${seconds} s) and there is no earlier model to keep; raise the arm's deadline`);
  return { state: previous.state, replay: previous.replay, metrics: UNTRAINED_METRICS, clientId: '', handoffSeconds: 0 };
}
