/**
 * Test helper: a `ClientPool` of fake workers w0, w1, ... handed out in turn, whose model
 * state is the list of task ids that produced it (and replay, the list of replayed ones).
 * `fail(task, attempt)` may name the error an attempt ends with, after the worker got the
 * task (as a client that dies mid-stage). Evaluation tasks are answered by `evaluate`
 * when given (and refused without it).
 */
import { decode, encode } from '../../shared/codec.js';
import type { MetricsOf, WireTask } from '../../shared/protocol.js';
import type { EvalMetrics, EvalTask, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import type { AcquireOptions, TaskBounds, TaskEnd, TaskOutcome, TaskClient, ClientPool } from '../../server/clients/pool.js';

export interface FakeCall {
  worker: string;
  task: TrainTask;
  stateIn: string[] | null;
  replayIn: string[] | null;
  /** The bounds the run loop handed with the task, if any. */
  bounds?: TaskBounds;
}

export interface FakePoolOptions {
  /** Distinct workers (default 2). */
  workers?: number;
  /** Called (and awaited) before a task runs (e.g. to look at the checkpoints written so far). */
  beforeRun?: (task: TrainTask) => void | Promise<void>;
  /** The error attempt `attempt` (1 = first) of `task` ends with, or null. */
  fail?: (task: TrainTask, attempt: number) => Error | null;
  /** Answers an evaluation task, handed the state it came with (its task ids). */
  evaluate?: (task: EvalTask, stateIn: string[] | null) => EvalMetrics | Promise<EvalMetrics>;
}

/** An evaluation task as the fake pool received it. */
export interface FakeEvalCall {
  worker: string;
  task: EvalTask;
  stateIn: string[] | null;
}

export class FakePool implements ClientPool {
  readonly calls: FakeCall[] = [];
  readonly evalCalls: FakeEvalCall[] = [];
  readonly events: string[] = [];
  /** The options of every acquire, in order. */
  readonly acquired: AcquireOptions[] = [];
  private next = 0;

  constructor(private readonly options: FakePoolOptions = {}) {}

  async acquire(options: AcquireOptions = {}): Promise<TaskClient> {
    const id = `w${this.next++ % (this.options.workers ?? 2)}`;
    this.events.push(`acquire ${id}`);
    this.acquired.push(options);
    return {
      id,
      runTask: async <T extends WireTask>(task: T, state: Uint8Array | null, replay: Uint8Array | null, bounds?: TaskBounds): Promise<TaskOutcome<MetricsOf<T>>> => {
        if (task.kind === 'eval' && this.options.evaluate) {
          const stateIn = state ? (decode(state) as string[]) : null;
          this.evalCalls.push({ worker: id, task, stateIn });
          const metrics = await this.options.evaluate(task, stateIn);
          return { metrics: metrics as MetricsOf<T>, state: null, replay: null, handoffSeconds: 0, clientId: id };
        }
        if (task.kind !== 'train') throw new Error('only train tasks here');
        await this.options.beforeRun?.(task);
        const stateIn = state ? (decode(state) as string[]) : null;
        const replayIn = replay ? (decode(replay) as string[]) : null;
        this.calls.push({ worker: id, task, stateIn, replayIn, ...(bounds ? { bounds } : {}) });
        const error = this.options.fail?.(task, this.calls.filter((c) => c.task.taskId === task.taskId).length);
        if (error) throw error;
        const metrics: TrainMetrics = {
          steps: task.steps,
          lossFirst: 3,
          lossLast: 2,
          trainSeconds: 1,
          imagesPerSecond: 10,
          samples: 5,
          replaySamplesUsed: 0,
          dataWaitSeconds: 0,
          ...(task.evaluation ? { eval: { knnTop1: 0.5, linearTop1: 0.6, seconds: 1 } } : {}),
        };
        return {
          metrics: metrics as MetricsOf<T>,
          state: encode([...(stateIn ?? []), task.taskId]),
          replay: task.replay.mode === 'replay' ? encode([...(replayIn ?? []), `replay-of-${task.taskId}`]) : null,
          handoffSeconds: 0.5,
          clientId: id,
        };
      },
    };
  }

  release(worker: TaskClient, _end?: TaskEnd): void {
    this.events.push(`release ${worker.id}`);
  }
}
