/**
 * How long a stage and the whole run still need, from a snapshot. The run's figure is the
 * work left over the clients working on it now: the optimizer steps left at the step rates
 * measured now, plus the evaluations left (the stages that evaluate, and each random-init
 * floor not scored yet) and the hand-offs left (one per stage) at the mean seconds the run
 * measured for them so far, spread over the clients training now. A stage scored beside
 * the next one (server/schedule/run-arm.ts) is done only once scored, but its steps are
 * taken once a later stage of its arm trains: then only its evaluation is left.
 *
 * In a run over several seeds, the seeds still waiting have not planned their stream yet:
 * an arm without a plan counts the plan of the same arm of a seed that has one (the seeds
 * share the stream's split unless `seedsVary` is `split`, so their plans are the same or
 * close). The terminal, the dashboard and Prometheus all read the figure from here.
 */
import { armOfTask, type ArmView, type ClientTask, type PlannedStage, type RunSnapshot } from './snapshot.js';

/** Seconds the client's task still needs at its current rate, or null. */
export function taskEtaSeconds(task: ClientTask): number | null {
  if (task.steps === undefined || !task.stepsPerSecond) return null;
  return Math.max(0, task.steps - task.step) / task.stepsPerSecond;
}

/** The stages `arm` is planned to run: its own plan, else (a seed not started yet, not failed) its namesake's in another seed. */
export function plannedStages(s: RunSnapshot, arm: ArmView): readonly PlannedStage[] {
  if (arm.planned.length > 0 || arm.seed === undefined || inFailedSeed(s, arm)) return arm.planned;
  for (const other of Object.values(s.arms)) if (other.name === arm.name && other.planned.length > 0) return other.planned;
  return arm.planned;
}

/** Whether `arm` belongs to a seed that failed (its work will not come). */
function inFailedSeed(s: RunSnapshot, arm: ArmView): boolean {
  return arm.seed !== undefined && s.seeds[arm.seed]?.state === 'failed';
}

/** Whether the work of `arm` is still to come: not failed, nor in a seed that stopped. */
function armGoesOn(s: RunSnapshot, arm: ArmView): boolean {
  return !arm.failed && !inFailedSeed(s, arm);
}

/** What the run still has to do. */
export interface WorkLeft {
  /** Optimizer steps left, less what busy clients did of their stages. */
  steps: number;
  /** Every planned step of the run (for the share done). */
  totalSteps: number;
  /** Stages not done yet (each hands the model off). */
  stages: number;
  /** Evaluations left: stages that evaluate and random-init floors not scored yet. */
  evaluations: number;
}

/** The run's work left, from its plans (see the module's note). */
export function workLeft(s: RunSnapshot): WorkLeft {
  const w: WorkLeft = { steps: 0, totalSteps: 0, stages: 0, evaluations: 0 };
  const training = stagesTraining(s);
  for (const arm of Object.values(s.arms)) {
    const planned = plannedStages(s, arm);
    w.totalSteps += planned.reduce((sum, p) => sum + p.steps, 0);
    if (!armGoesOn(s, arm)) continue;
    const done = new Set(arm.stages.map((x) => x.stage));
    const trainingStage = training.get(arm) ?? -1;
    for (const [i, p] of planned.entries()) {
      if (i < arm.finishedBefore || done.has(p.stage)) continue;
      // Scored beside the next stage (a stage is done once scored): its training is over.
      if (p.stage < trainingStage) {
        if (p.evaluates) w.evaluations += 1;
        continue;
      }
      w.steps += p.steps;
      w.stages += 1;
      if (p.evaluates) w.evaluations += 1;
    }
  }
  for (const c of Object.values(s.clients)) {
    const task = c.task;
    if (task?.kind !== 'train' || task.arm === undefined) continue;
    const arm = armOfTask(s, task);
    if (arm && armGoesOn(s, arm) && !arm.stages.some((x) => x.stage === task.stage)) w.steps -= task.step;
  }
  w.steps = Math.max(0, w.steps);
  w.evaluations += floorsLeft(s);
  return w;
}

/** The latest stage each arm has a client training now. */
function stagesTraining(s: RunSnapshot): Map<ArmView, number> {
  const latest = new Map<ArmView, number>();
  for (const c of Object.values(s.clients)) {
    const task = c.task;
    if (task?.kind !== 'train' || task.stage === undefined) continue;
    const arm = armOfTask(s, task);
    if (arm) latest.set(arm, Math.max(latest.get(arm) ?? -1, task.stage));
  }
  return latest;
}

/** Random-init floors not scored yet: one per seed still going (one for a run of one seed). */
function floorsLeft(s: RunSnapshot): number {
  const seeds = Object.values(s.seeds);
  if (seeds.length === 0) return s.startedAt !== null && s.randomInit === null ? 1 : 0;
  return seeds.filter((v) => v.state !== 'failed' && v.randomInit === null).length;
}

/** Optimizer steps the run still has to take, and all it plans. */
export function stepsLeft(s: RunSnapshot): { left: number; total: number } {
  const w = workLeft(s);
  return { left: w.steps, total: w.totalSteps };
}

/** Mean measured seconds of one evaluation and of one stage's hand-offs, over the stages done (0 until measured). */
export function measuredSeconds(s: RunSnapshot): { evaluation: number; handOff: number } {
  let evalSum = 0;
  let evals = 0;
  let handOffSum = 0;
  let stages = 0;
  for (const arm of Object.values(s.arms)) {
    for (const st of arm.stages) {
      handOffSum += st.handoffSeconds;
      stages += 1;
      if (st.evalSeconds !== undefined) {
        evalSum += st.evalSeconds;
        evals += 1;
      }
    }
  }
  return { evaluation: evals > 0 ? evalSum / evals : 0, handOff: stages > 0 ? handOffSum / stages : 0 };
}

/** Seconds the run still needs (see the module's note), or null until a client trains at a measured rate. */
export function runEtaSeconds(s: RunSnapshot): number | null {
  const rates = Object.values(s.clients).flatMap((c) => (c.state === 'training' && c.task?.stepsPerSecond ? [c.task.stepsPerSecond] : []));
  const rate = rates.reduce((sum, r) => sum + r, 0);
  if (rate <= 0) return null;
  const w = workLeft(s);
  const each = measuredSeconds(s);
  // Evaluations and hand-offs take a client each, as training does: spread over as many.
  return w.steps / rate + (w.evaluations * each.evaluation + w.stages * each.handOff) / rates.length;
}
