/**
 * What each task of the hand-off bench does with a state, by its stage (bench/handoff.ts
 * runs them; bench/handoff-client.ts is the engine): stage 0 makes one, an even stage
 * after it passes the state it is handed on (a relay stage after the first), an odd stage
 * only reads it and answers with a state of no arrays.
 */
import type { TrainTask } from '../shared/tasks.js';

/** Whether a task passes the state it is handed on, not just reads it. */
export function passesOn(task: Pick<TrainTask, 'stage'>): boolean {
  return task.stage % 2 === 0 && task.stage > 0;
}

/** Whether a task returns a state of the model's size (it makes one or passes one on). */
export function returnsState(task: Pick<TrainTask, 'stage'>): boolean {
  return task.stage % 2 === 0;
}

/** The most a task that only reads its state returns: a state of no arrays, a few dozen bytes. */
export const READER_STATE_BYTES = 1024;
