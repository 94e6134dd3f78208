/**
 * Federated averaging: every round, each chunk's client trains in parallel from the same
 * averaged state, then the coordinator averages what comes back, weighted by the chunks'
 * samples, and scores the average on a client. Each round is one stage of the loop (one
 * checkpoint, one journal record), so a resumed arm continues after its last finished round.
 */
import type { ArmSpecOf } from '../../shared/arm-schema.js';
import type { TrainMetrics, TrainTask } from '../../shared/tasks.js';
import { sumHandoffBytes } from '../clients/pool.js';
import { averageStates } from '../states/average-states.js';
import type { ArmMode, PlannedStage, StageTaskResult } from './arm-mode.js';
import { buildTrainTask, chunkOrderAt, relaySteps, type PlanInput } from './build.js';
import { visitSteps } from './cycle-order.js';
import { evalTaskFor } from './eval-task.js';
import { deriveSeed, sampledIndices } from '../../shared/random.js';
import { returnedState } from './one-task-stage.js';

type FedavgArm = ArmSpecOf<'fedavg'>;

/** One round: the record the journal keeps of it and the tasks its clients run. */
export interface FedavgRound {
  /**
   * The whole round (all chunks, the sum of the clients' steps, evaluation when the
   * average is scored) in a train task's shape: the journal's record, never sent.
   */
  round: TrainTask;
  /** One task per chunk that trains this round, in chunk order. */
  clients: TrainTask[];
}

/**
 * The chunks that train in each round, ascending: all of them, or with `fraction` below 1
 * round(fraction x chunks) of them (at least one), drawn afresh every round from a seed of
 * the scenario seed, the arm and the round, so the plan stays a pure function.
 */
export function sampledChunks(input: PlanInput<FedavgArm>): number[][] {
  const { arm, scenario } = input;
  const chunks = scenario.stream.chunks;
  const take = Math.max(1, Math.round((arm.fraction ?? 1) * chunks));
  return Array.from({ length: arm.rounds }, (_, r) => [...sampledIndices(chunks, take, deriveSeed(scenario.seed, 'fedavg-participation', arm.name, r))]);
}

/** Rounds each chunk trains in. */
function participation(sampled: readonly number[][], chunks: number): number[] {
  const rounds = new Array<number>(chunks).fill(0);
  for (const round of sampled) for (const k of round) rounds[k]++;
  return rounds;
}

/**
 * Each chunk gets exactly the optimizer steps relay spends on it, spread evenly over the
 * rounds it is sampled in (the first `steps mod rounds` of them take one more), so the
 * arm's total matches relay and joint; a chunk sampled in fewer rounds (`fraction` below 1)
 * takes more steps per round (about 1/fraction as many), and a chunk never sampled trains
 * none (the matching note says so). Each client's learning-rate schedule spans its
 * chunk's steps, so all clients are at the same point of the schedule at the end of every
 * round they take part in.
 */
export function planFedavgRounds(input: PlanInput): FedavgRound[] {
  const { arm } = input;
  const rounds = arm.rounds;
  if (arm.mode !== 'fedavg' || rounds === undefined) throw new Error(`arm ${arm.name}: not a fedavg arm with rounds`);
  const chunkSteps = relaySteps(input);
  const sampled = sampledChunks({ ...input, arm });
  const taking = participation(sampled, chunkSteps.length);
  chunkSteps.forEach((steps, k) => {
    if (steps >= taking[k]) return;
    if (arm.fraction === undefined) throw new Error(`arm ${arm.name}: rounds (${rounds}) exceeds chunk ${k}'s ${steps} optimizer step(s); lower arms.rounds or raise training.epochsPerChunk`);
    throw new Error(`arm ${arm.name}: chunk ${k} is sampled in ${taking[k]} round(s), more than its ${steps} optimizer step(s); lower arms.rounds or raise training.epochsPerChunk`);
  });
  const totalSteps = chunkSteps.reduce((sum, steps, k) => sum + (taking[k] > 0 ? steps : 0), 0);
  const chunks = chunkSteps.length;
  const done = new Array<number>(chunks).fill(0);
  const visits = new Array<number>(chunks).fill(0);
  let roundStart = 0;
  return sampled.map((roundChunks, r) => {
    const evaluate = input.scenario.evaluation.everyStage || r === rounds - 1;
    const clients = roundChunks.map((k) => {
      const steps = chunkSteps[k];
      const local = visitSteps(steps, taking[k], visits[k]++);
      // A chunk trained over several rounds continues one order of its samples; no replay, so
      // every sample of a batch is new and the earlier rounds drew done[k] whole batches.
      const chunkOrder = taking[k] > 1 ? { chunkOrder: chunkOrderAt(input.scenario.seed, arm.name, k, done[k] * input.scenario.training.batchSize) } : {};
      const task = buildTrainTask(input, { stage: r * chunks + k, chunks: [k], steps: local, startStep: done[k], totalSteps: steps, replay: { mode: 'none' }, evaluate: false, ...chunkOrder });
      done[k] += local;
      return { ...task, taskId: `${arm.name}:round-${r}:chunk-${k}` };
    });
    const roundSteps = clients.reduce((sum, t) => sum + t.steps, 0);
    const round = buildTrainTask(input, { stage: r, chunks: roundChunks, steps: roundSteps, startStep: roundStart, totalSteps, replay: { mode: 'none' }, evaluate });
    roundStart += roundSteps;
    return { round: { ...round, taskId: `${arm.name}:round-${r}` }, clients };
  });
}

/** How fedavg's compute was matched, for results.json: the exact planned total against relay's. */
export function fedavgMatchingNote(input: PlanInput<FedavgArm>): string {
  const { arm } = input;
  const steps = relaySteps(input);
  const relayTotal = steps.reduce((a, b) => a + b, 0);
  const head = `fedavg arm ${arm.name} runs ${arm.rounds} round(s)`;
  if (arm.fraction === undefined) {
    return (
      `${head}; each chunk's client trains, over all rounds, exactly the ` +
      `steps relay spends on that chunk (${steps.join(', ')}), spread evenly over the rounds, so the total is the same ` +
      `${relayTotal} steps; each client's learning-rate schedule spans its chunk's steps`
    );
  }
  const taking = participation(sampledChunks(input), steps.length);
  const total = planFedavgRounds(input).reduce((sum, r) => sum + r.round.steps, 0);
  const unsampled = taking.flatMap((n, k) => (n === 0 ? [k] : []));
  const missing = unsampled.length > 0 ? `; chunk(s) ${unsampled.join(', ')} were never sampled and train none of their ${unsampled.reduce((sum, k) => sum + steps[k], 0)} step(s)` : '';
  return (
    `${head} with fraction ${arm.fraction} (the rounds each chunk is sampled in: ${taking.join(', ')}); each sampled chunk's client ` +
    `trains the steps relay spends on that chunk (${steps.join(', ')}) spread over the rounds it is sampled in${missing}: ` +
    `${total} steps in all against relay's ${relayTotal}; each client's learning-rate schedule spans its chunk's steps`
  );
}

/**
 * A round's metrics as one stage: steps and samples summed over clients, losses averaged
 * weighted by steps, train seconds summed (compute spent, not wall time).
 */
function roundMetrics(results: readonly StageTaskResult[]): TrainMetrics {
  const m = results.map((r) => r.outcome.metrics);
  const steps = m.reduce((sum, x) => sum + x.steps, 0);
  const byStep = (key: 'lossFirst' | 'lossLast') => m.reduce((sum, x) => sum + x[key] * x.steps, 0) / Math.max(steps, 1);
  const sum = (key: 'trainSeconds' | 'dataWaitSeconds' | 'samples' | 'replaySamplesUsed') => m.reduce((total, x) => total + x[key], 0);
  const trainSeconds = sum('trainSeconds');
  const images = results.reduce((total, { task }) => total + task.steps * task.batchSize, 0);
  return {
    steps,
    lossFirst: byStep('lossFirst'),
    lossLast: byStep('lossLast'),
    trainSeconds,
    imagesPerSecond: images / Math.max(trainSeconds, 1e-9),
    dataWaitSeconds: sum('dataWaitSeconds'),
    samples: sum('samples'),
    replaySamplesUsed: sum('replaySamplesUsed'),
  };
}

interface FedavgStage extends PlannedStage {
  clients: TrainTask[];
}

export const fedavgMode: ArmMode<FedavgArm, FedavgStage> = {
  sequential: false,
  reference: false,
  plan: (input) => planFedavgRounds(input).map(({ round, clients }) => ({ record: round, clients })),
  // Every client starts the round from the same average; fedavg keeps no replay.
  configure: (stage, previous) => stage.clients.map((task) => ({ task, state: previous?.state ?? null, replay: null })),
  aggregate(_stage, results, { chunkSizes }) {
    const state = averageStates(
      results.map((result) => {
        const chunk = result.task.data.chunks[0];
        const what = ` for chunk ${chunk}`;
        return { state: returnedState(result, what), weight: chunkSizes[chunk], label: `chunk ${chunk} (client ${result.outcome.clientId})` };
      }),
    );
    return {
      state,
      replay: null,
      metrics: roundMetrics(results),
      clientId: [...new Set(results.map((r) => r.outcome.clientId))].join(','),
      handoffSeconds: results.reduce((sum, r) => sum + r.outcome.handoffSeconds, 0),
      ...sumHandoffBytes(results.map((r) => r.outcome)),
    };
  },
  // The clients' tasks do not evaluate: the average is scored on a client of its own.
  evaluation: ({ record }, { scenario }) => (record.evaluation ? evalTaskFor(scenario, `${record.taskId}:eval`) : null),
  busyClients: (arm, scenario) => Math.max(1, Math.round((arm.fraction ?? 1) * scenario.stream.chunks)),
  strategyName: () => 'none',
  labels(arm) {
    const options = [...(arm.fraction !== undefined ? [`fraction ${arm.fraction}`] : []), ...(arm.deadline !== undefined ? [`deadline ${arm.deadline} s`] : [])];
    const extra = options.map((o) => `, ${o}`).join('');
    return { heading: `fedavg, ${arm.rounds} round(s)${extra}; each stage is a round`, comparison: `fedavg (${arm.rounds} rounds${extra})` };
  },
  matchingNote: fedavgMatchingNote,
  deadlineSeconds: (arm) => arm.deadline ?? null,
};
