/**
 * About how large a scenario's states are on the wire: the largest state a train task of
 * any of its arms may be handed (every arm trains the scenario's model, with the
 * optimizer's buffers when the training keeps them; a relay's regularizer adds its
 * components). Known before the stream is planned, so the coordinator tells clients as
 * they join (the hello reply's `stateBytes`), and they ready memory for the states to
 * come: the float32 size, or about half of it when states travel as float16
 * (`expectedWireBytes`). Unknown (undefined) when they travel deflated: their wire size is
 * known only once compressed.
 */
import type { Scenario } from '../../shared/scenario.js';
import { maxHandedStateBytes } from '../../shared/state/task-state-size.js';
import { expectedWireBytes } from '../../shared/wire/wire-encoding.js';
import { buildTrainTask } from './build.js';

export function scenarioStateBytes(scenario: Scenario): number | undefined {
  const sizes = scenario.arms.map((arm) => {
    const regularizer = 'regularizer' in arm ? arm.regularizer : undefined;
    const task = buildTrainTask({ scenario, arm, chunkSizes: [1] }, { stage: 0, chunks: [0], steps: 1, startStep: 0, totalSteps: 1, replay: { mode: 'none' }, evaluate: false, ...(regularizer ? { regularizer } : {}) });
    return maxHandedStateBytes(task);
  });
  return expectedWireBytes(Math.max(0, ...sizes), scenario.transfer, 'state');
}
