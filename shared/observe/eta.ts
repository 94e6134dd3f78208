/**
 * How long a stage and the whole run still need, from a snapshot: optimizer steps left over
 * the step rates measured now. Training only (evaluations and hand-offs are not counted),
 * so it runs a little short; it is null until a rate has been measured.
 */
import { armOfTask, type ClientTask, type RunSnapshot } from './snapshot.js';

/** Seconds the client's task still needs at its current rate, or null. */
export function taskEtaSeconds(task: ClientTask): number | null {
  if (task.steps === undefined || !task.stepsPerSecond) return null;
  return Math.max(0, task.steps - task.step) / task.stepsPerSecond;
}

/** Optimizer steps the run still has to take: planned stages not done, less what busy clients did of them. */
export function stepsLeft(s: RunSnapshot): { left: number; total: number } {
  let left = 0;
  let total = 0;
  for (const arm of Object.values(s.arms)) {
    const plannedSteps = arm.planned.reduce((sum, p) => sum + p.steps, 0);
    total += plannedSteps;
    if (arm.failed) continue;
    const done = new Set(arm.stages.map((x) => x.stage));
    left += arm.planned.filter((p, i) => i >= arm.finishedBefore && !done.has(p.stage)).reduce((sum, p) => sum + p.steps, 0);
  }
  for (const c of Object.values(s.clients)) {
    const task = c.task;
    if (task?.kind !== 'train' || task.arm === undefined) continue;
    const arm = armOfTask(s, task);
    if (arm && !arm.failed && !arm.stages.some((x) => x.stage === task.stage)) left -= task.step;
  }
  return { left: Math.max(0, left), total };
}

/** Seconds the run still needs at the summed step rate of the clients training now, or null. */
export function runEtaSeconds(s: RunSnapshot): number | null {
  const rate = Object.values(s.clients).reduce((sum, c) => sum + (c.state === 'training' ? (c.task?.stepsPerSecond ?? 0) : 0), 0);
  if (rate <= 0) return null;
  return stepsLeft(s).left / rate;
}
