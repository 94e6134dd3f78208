/**
 * The fedavg arm's round loop: each round sends one task per chunk, all from the same
 * averaged state, to whichever clients are free (in parallel, queued when there are more
 * chunks than clients), averages the returned states weighted by chunk samples,
 * checkpoints the average and, when the round is evaluated, scores it on a client. Each
 * round is one journal stage, so a resumed arm continues after its last finished round.
 */
import type { EvalMetrics, TrainMetrics, TrainTask } from '../../shared/tasks.js';
import { averageStates } from '../average-states.js';
import { OverheadClock } from '../overhead.js';
import { NO_RETRIES, runWithRetries } from '../retry.js';
import type { TaskOutcome } from '../worker.js';
import type { PlanInput } from './build.js';
import { evalTaskFor } from './eval-task.js';
import { planFedavgRounds, type FedavgRound } from './fedavg.js';
import { ArmFailedError, type ArmRun, type RunArmOptions, type StageRecord } from './index.js';

export async function runFedavg(input: PlanInput, options: RunArmOptions): Promise<ArmRun> {
  const { arm } = input;
  const stages: StageRecord[] = [...(options.resume?.stages ?? [])];
  let state: Uint8Array | null = options.resume?.state ?? null;
  const clock = new OverheadClock();
  for (const round of planFedavgRounds(input).slice(stages.length)) {
    try {
      const output = await runRound(input, round, state, options, clock);
      stages.push(output.record);
      state = output.state;
    } catch (err) {
      throw new ArmFailedError(arm.name, round.round.stage, [...stages], (err as Error).message ?? String(err), { cause: err });
    }
  }
  return { arm, stages };
}

async function runRound(input: PlanInput, { round, clients }: FedavgRound, state: Uint8Array | null, options: RunArmOptions, clock: OverheadClock) {
  const { arm } = input;
  const r = round.stage;
  options.logger?.info({ arm: arm.name, round: r, clients: clients.length, steps: round.steps }, 'round starting');
  const run = <T extends Parameters<typeof runWithRetries>[1]>(task: T, taskState: Uint8Array | null) =>
    runWithRetries(options.pool, task, taskState, null, options.retry ?? NO_RETRIES, {
      logger: options.logger,
      context: { arm: arm.name, round: r },
      onRetry: (event) => options.onRetry?.(arm, r, event),
      onDispatch: () => clock.taskSent(),
    }).then((outcome) => {
      clock.resultArrived();
      return outcome;
    });
  const outcomes = await Promise.all(clients.map((task) => run(task, state)));
  const averaged = averageStates(
    outcomes.map((outcome, i) => {
      const chunk = clients[i].data.chunks[0];
      if (!outcome.state) throw new Error(`client ${outcome.clientId} returned no model state for chunk ${chunk}`);
      return { state: outcome.state, weight: input.chunkSizes[chunk], label: `chunk ${chunk} (client ${outcome.clientId})` };
    }),
  );
  const evaluation = round.evaluation ? (await run(evalTaskFor(input.scenario, `${round.taskId}:eval`), averaged)).metrics : undefined;
  const checkpoint = await options.checkpoints.write(arm.name, r, averaged, null);
  const overheadSeconds = clock.take();
  const record: StageRecord = {
    stage: r,
    task: round,
    clientId: [...new Set(outcomes.map((o) => o.clientId))].join(','),
    metrics: roundMetrics(clients, outcomes, evaluation),
    handoffSeconds: outcomes.reduce((sum, o) => sum + o.handoffSeconds, 0),
    checkpoint,
    ...(overheadSeconds.length > 0 ? { overheadSeconds } : {}),
  };
  options.logger?.info({ arm: arm.name, round: r, lossLast: record.metrics.lossLast, eval: evaluation }, 'round done');
  await options.onStage?.(arm, record);
  return { record, state: averaged };
}

/**
 * A round's metrics as one stage: steps and samples summed over clients, losses averaged
 * weighted by steps, train seconds summed (compute spent, not wall time).
 */
function roundMetrics(clients: readonly TrainTask[], outcomes: ReadonlyArray<TaskOutcome<TrainMetrics>>, evaluation: EvalMetrics | undefined): TrainMetrics {
  const m = outcomes.map((o) => o.metrics);
  const steps = m.reduce((sum, x) => sum + x.steps, 0);
  const byStep = (key: 'lossFirst' | 'lossLast') => m.reduce((sum, x) => sum + x[key] * x.steps, 0) / Math.max(steps, 1);
  const sum = (key: 'trainSeconds' | 'dataWaitSeconds' | 'samples' | 'replaySamplesUsed') => m.reduce((total, x) => total + x[key], 0);
  const trainSeconds = sum('trainSeconds');
  const images = clients.reduce((total, t) => total + t.steps * t.batchSize, 0);
  return {
    steps,
    lossFirst: byStep('lossFirst'),
    lossLast: byStep('lossLast'),
    trainSeconds,
    imagesPerSecond: images / Math.max(trainSeconds, 1e-9),
    dataWaitSeconds: sum('dataWaitSeconds'),
    samples: sum('samples'),
    replaySamplesUsed: sum('replaySamplesUsed'),
    ...(evaluation ? { eval: evaluation } : {}),
  };
}
