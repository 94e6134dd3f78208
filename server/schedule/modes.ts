/**
 * The arm modes, by name: the one place a mode is listed. The names come from
 * shared/arm-schema.ts (the scenario schema needs them); the type makes every name have
 * its mode, each checked against its own arm spec.
 */
import type { ArmModeName, ArmSpecOf } from '../../shared/arm-schema.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { ArmMode } from './arm-mode.js';
import type { PlanInput } from './build.js';
import { fedavgMode } from './fedavg.js';
import { jointMode } from './joint.js';
import { relayMode } from './relay.js';

export const ARM_MODES: { readonly [M in ArmModeName]: ArmMode<ArmSpecOf<M>> } = {
  relay: relayMode,
  joint: jointMode,
  fedavg: fedavgMode,
};

/** A registry of arm modes: the built-in one, or one extended (tests, tools). */
export type ArmModes = Readonly<Record<string, ArmMode>>;

/** The mode an arm (or an arm of results.json) names. */
export function modeOf(arm: { name: string; mode: string }, modes: ArmModes = ARM_MODES): ArmMode {
  const mode = Object.hasOwn(modes, arm.mode) ? modes[arm.mode] : undefined;
  if (!mode) throw new Error(`arm ${arm.name}: unknown arm mode "${arm.mode}" (known: ${Object.keys(modes).join(', ')})`);
  return mode;
}

/** The records of an arm's planned stages: what the journal keeps and resume compares. */
export function planArm(input: PlanInput, modes: ArmModes = ARM_MODES): TrainTask[] {
  return modeOf(input.arm, modes)
    .plan(input)
    .map((stage) => stage.record);
}
