/**
 * Events of one client's tasks, as its connection sees them (remote-client.ts): started
 * (acknowledged), progress (with the arm, stage and the step rate measured here between
 * reports, since a client reports only step and loss) and the hand-offs both ways.
 */
import type { WireTask } from '../../shared/protocol.js';
import type { Progress } from '../../shared/tasks.js';
import type { EventSink } from './bus.js';
import { taskSeed } from './seed-tag.js';

/** What a client connection tells the run's events. */
export interface TaskObserver {
  started(client: string, task: WireTask): void;
  progress(client: string, task: WireTask, progress: Progress): void;
  handOff(client: string, task: WireTask, direction: 'to-client' | 'from-client', bytes: number, seconds: number): void;
}

/** Weight of the newest rate in the smoothed one: reports come every half second or so, and vary. */
const SMOOTHING = 0.5;
/** Tasks whose rate is followed at once; a task whose client was lost never reports its last step, so the oldest are dropped. */
const MAX_TRACKED = 4096;

/** A `TaskObserver` that publishes to `sink`. */
export class TaskEvents implements TaskObserver {
  private readonly rates = new Map<string, { t: number; step: number; stepsPerSecond?: number }>();

  constructor(
    private readonly sink: EventSink,
    private readonly now: () => number = Date.now,
  ) {}

  started(client: string, task: WireTask): void {
    this.sink.publish({ type: 'task-started', client, taskId: task.taskId });
  }

  progress(client: string, task: WireTask, p: Progress): void {
    if (task.kind !== 'train') return;
    const t = this.now();
    const key = `${client}\n${task.taskId}`;
    const last = this.rates.get(key);
    let stepsPerSecond = last?.stepsPerSecond;
    if (last && p.step > last.step && t > last.t) {
      const rate = (p.step - last.step) / ((t - last.t) / 1000);
      stepsPerSecond = stepsPerSecond === undefined ? rate : SMOOTHING * rate + (1 - SMOOTHING) * stepsPerSecond;
    }
    this.rates.delete(key);
    if (p.step < p.steps) this.rates.set(key, { t, step: p.step, ...(stepsPerSecond !== undefined ? { stepsPerSecond } : {}) });
    if (this.rates.size > MAX_TRACKED) this.rates.delete(this.rates.keys().next().value!);
    this.sink.publish({
      type: 'progress',
      t,
      client,
      taskId: task.taskId,
      ...taskSeed(task.taskId),
      arm: task.arm,
      stage: task.stage,
      step: p.step,
      steps: p.steps,
      x: task.optimizer.startStep + p.step,
      loss: p.loss,
      ...(stepsPerSecond !== undefined ? { stepsPerSecond, imagesPerSecond: stepsPerSecond * task.batchSize } : {}),
    });
  }

  handOff(client: string, task: WireTask, direction: 'to-client' | 'from-client', bytes: number, seconds: number): void {
    const where = task.kind === 'train' ? { ...taskSeed(task.taskId), arm: task.arm, stage: task.stage } : {};
    this.sink.publish({ type: 'hand-off', client, taskId: task.taskId, ...where, direction, bytes, seconds });
  }
}
