/**
 * The stage of relay and joint: one train task, sent as planned with the previous stage's
 * state and replay; its result is handed on as it came back, and the task evaluates the
 * model itself (when the plan attached the evaluation).
 */
import { sumHandoffBytes } from '../clients/pool.js';
import type { ArmMode, HandOff, PlannedStage, StageOutput, StageTask, StageTaskResult } from './arm-mode.js';

/** The state a result carries; a train task that returned none failed. */
export function returnedState({ outcome }: StageTaskResult, what = ''): Uint8Array {
  if (!outcome.state) throw new Error(`client ${outcome.clientId} returned no model state${what}`);
  return outcome.state;
}

/** `configure`, `aggregate` and `evaluation` of a mode whose stage is its one planned task. */
export const oneTaskStage: Pick<ArmMode, 'configure' | 'aggregate' | 'evaluation'> = {
  configure(stage: PlannedStage, previous: HandOff | null): StageTask[] {
    return [{ task: stage.record, state: previous?.state ?? null, replay: previous?.replay ?? null }];
  },
  aggregate(_stage: PlannedStage, [result]: readonly StageTaskResult[]): StageOutput {
    const { outcome } = result;
    return { state: returnedState(result), replay: outcome.replay, metrics: outcome.metrics, clientId: outcome.clientId, handoffSeconds: outcome.handoffSeconds, ...sumHandoffBytes([outcome]) };
  },
  evaluation: () => null,
};
