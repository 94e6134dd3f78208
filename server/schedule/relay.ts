/**
 * Relay (sequential) training: one stage per chunk visit; each stage starts from the
 * previous stage's state and replay buffer. One pass visits the chunks in stream order;
 * a cyclic relay (`cycles`, `order`) passes over them several times.
 */
import type { ArmSpecOf } from '../../shared/arm-schema.js';
import { deriveSeed } from '../../shared/random.js';
import type { ReplayOptions, TrainTask } from '../../shared/tasks.js';
import type { ArmMode } from './arm-mode.js';
import { buildTrainTask, ChunkOrders, freshPerStep, relaySteps, replayOptions, type PlanInput } from './build.js';
import { cycleOrders, visitSteps } from './cycle-order.js';
import { oneTaskStage } from './one-task-stage.js';

type RelayArm = ArmSpecOf<'relay'>;

/**
 * Stage v is the v-th visit: cycle by cycle, the chunks in the cycle's order (see
 * cycle-order.ts). A chunk takes `ceil(epochsPerChunk * chunkSize / batchSize)` steps in
 * all, split evenly over its visits, so the arm's steps equal one pass's (and joint's).
 * The learning-rate schedule spans the whole arm (`startStep` accumulates to
 * `totalSteps`). Evaluation is attached to every stage with `evaluation.everyStage`, else
 * to the last. A replay buffer takes a chunk's samples after its first visit only: later
 * visits replay it but add nothing (`extend: false`), so no chunk is in it twice and it
 * stays the size one pass leaves. The visits of a chunk continue one order of its samples
 * (`chunkOrder`), so its visits together draw what one pass would. Regularizers measure importances after every visit, as
 * after every stage. With one cycle in fixed order the plan is the one-pass plan.
 */
export function planRelay(input: PlanInput<RelayArm>): TrainTask[] {
  const { arm, scenario } = input;
  const steps = relaySteps(input);
  const cycles = arm.cycles ?? 1;
  steps.forEach((chunkSteps, k) => {
    if (chunkSteps < cycles) throw new Error(`arm ${arm.name}: cycles (${cycles}) exceeds chunk ${k}'s ${chunkSteps} optimizer step(s); lower arms.cycles or raise training.epochsPerChunk`);
  });
  const orders = cycleOrders(steps.length, cycles, arm.order ?? 'fixed', deriveSeed(scenario.seed, 'relay-order', arm.name));
  const visits = orders.flatMap((chunks, cycle) => chunks.map((chunk) => ({ chunk, steps: visitSteps(steps[chunk], cycles, cycle) })));
  const totalSteps = steps.reduce((a, b) => a + b, 0);
  const replay = replayOptions(arm);
  const kept = new Set<number>();
  // One pass draws each chunk's shuffle once; visits of a cyclic relay continue it.
  const sampleOrders = cycles > 1 ? new ChunkOrders(scenario.seed, arm.name) : null;
  let startStep = 0;
  return visits.map((visit, v) => {
    const revisit: ReplayOptions = replay.mode === 'replay' && kept.has(visit.chunk) ? { ...replay, extend: false } : replay;
    kept.add(visit.chunk);
    const task = buildTrainTask(input, {
      stage: v,
      chunks: [visit.chunk],
      steps: visit.steps,
      startStep,
      totalSteps,
      replay: revisit,
      regularizer: arm.regularizer,
      evaluate: scenario.evaluation.everyStage || v === visits.length - 1,
      ...(sampleOrders ? { chunkOrder: sampleOrders.visit(visit.chunk, visit.steps, freshPerStep(replay, scenario.training.batchSize, v === 0)) } : {}),
    });
    startStep += visit.steps;
    return task;
  });
}

/** `2 cycles random-no-repeat`, `random order`, or null for one pass in stream order. */
function cyclesText(arm: RelayArm): string | null {
  const order = arm.order ?? 'fixed';
  if ((arm.cycles ?? 1) > 1) return `${arm.cycles} cycles ${order}`;
  return order === 'fixed' ? null : `${order} order`;
}

/** `fine-tune`, `replay+mas`, `fine-tune, 2 cycles random`: the strategy, the regularizer, and the cycles. */
function strategyName(arm: RelayArm): string {
  return [[arm.strategy.name, arm.regularizer?.name].filter(Boolean).join('+'), cyclesText(arm)].filter(Boolean).join(', ');
}

/** How a cyclic relay's steps were matched, for results.json (null for one pass: the others are matched to it). */
function relayMatchingNote(input: PlanInput<RelayArm>): string | null {
  const { arm } = input;
  const cycles = arm.cycles ?? 1;
  if (cycles === 1) return null;
  const total = relaySteps(input).reduce((a, b) => a + b, 0);
  return (
    `relay arm ${arm.name} visits every chunk ${cycles} times (${arm.order ?? 'fixed'} order); each visit runs 1/${cycles} of the chunk's ` +
    `one-pass steps (the first steps mod ${cycles} visits one more), so each chunk gets exactly its one-pass steps and the arm the same ${total} steps`
  );
}

export const relayMode: ArmMode<RelayArm> = {
  sequential: true,
  reference: false,
  plan: (input) => planRelay(input).map((record) => ({ record })),
  ...oneTaskStage,
  // The model goes from client to client: one is busy at a time.
  busyClients: () => 1,
  strategyName,
  labels: (arm) => ({ heading: `relay, ${strategyName(arm)}`, comparison: `relay (${strategyName(arm)})` }),
  matchingNote: relayMatchingNote,
};
