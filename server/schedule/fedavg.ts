/**
 * Federated averaging: every round, each chunk's client trains in parallel from the same
 * averaged state, then the coordinator averages what comes back. The plan is one
 * journal-sized task per round (the whole round, all chunks) and, inside it, one client
 * task per chunk.
 */
import type { TrainTask } from '../../shared/tasks.js';
import { buildTrainTask, relaySteps, type PlanInput } from './build.js';

/** One round: the task the journal records for it and the tasks its clients run. */
export interface FedavgRound {
  /** The whole round (all chunks, the sum of the clients' steps); what the journal keeps. */
  round: TrainTask;
  /** One task per chunk that trains this round, in chunk order. */
  clients: TrainTask[];
}

/**
 * Each chunk gets exactly the optimizer steps relay spends on it, spread evenly over the
 * rounds (the first `steps mod rounds` rounds take one more), so the arm's total matches
 * relay and joint. Each client's learning-rate schedule spans its chunk's steps, so all
 * clients are at the same point of the schedule at the end of every round.
 */
export function planFedavgRounds(input: PlanInput): FedavgRound[] {
  const { arm } = input;
  const rounds = arm.rounds;
  if (arm.mode !== 'fedavg' || rounds === undefined) throw new Error(`arm ${arm.name}: not a fedavg arm with rounds`);
  const chunkSteps = relaySteps(input);
  chunkSteps.forEach((steps, k) => {
    if (steps < rounds) throw new Error(`arm ${arm.name}: rounds (${rounds}) exceeds chunk ${k}'s ${steps} optimizer step(s); lower arms.rounds or raise training.epochsPerChunk`);
  });
  const totalSteps = chunkSteps.reduce((a, b) => a + b, 0);
  const chunks = chunkSteps.length;
  const done = new Array<number>(chunks).fill(0);
  let roundStart = 0;
  return Array.from({ length: rounds }, (_, r) => {
    const evaluate = input.scenario.evaluation.everyStage || r === rounds - 1;
    const clients = chunkSteps.map((steps, k) => {
      const local = Math.floor(steps / rounds) + (r < steps % rounds ? 1 : 0);
      const task = buildTrainTask(input, { stage: r * chunks + k, chunks: [k], steps: local, startStep: done[k], totalSteps: steps, replay: { mode: 'none' }, evaluate: false });
      done[k] += local;
      return { ...task, taskId: `${arm.name}:round-${r}:chunk-${k}` };
    });
    const roundSteps = clients.reduce((sum, t) => sum + t.steps, 0);
    const round = buildTrainTask(input, { stage: r, chunks: chunkSteps.map((_, k) => k), steps: roundSteps, startStep: roundStart, totalSteps, replay: { mode: 'none' }, evaluate });
    roundStart += roundSteps;
    return { round: { ...round, taskId: `${arm.name}:round-${r}` }, clients };
  });
}

/** The round tasks, as the journal and resume check them. */
export function planFedavg(input: PlanInput): TrainTask[] {
  return planFedavgRounds(input).map((r) => r.round);
}

/** How fedavg's compute was matched, for results.json. */
export function fedavgMatchingNote(input: PlanInput): string {
  const steps = relaySteps(input);
  return (
    `fedavg arm ${input.arm.name} runs ${input.arm.rounds} round(s); each chunk's client trains, over all rounds, exactly the ` +
    `steps relay spends on that chunk (${steps.join(', ')}), spread evenly over the rounds, so the total is the same ` +
    `${steps.reduce((a, b) => a + b, 0)} steps; each client's learning-rate schedule spans its chunk's steps`
  );
}
