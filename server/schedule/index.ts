/**
 * Scheduling arms: the arm modes (arm-mode.ts, one file each, listed in modes.ts) and the
 * one stage loop that runs them (run-arm.ts).
 */
export type { ArmLabels, ArmMode, HandOff, PlannedStage, StageOutput, StageTask, StageTaskResult } from './arm-mode.js';
export type { PlanInput } from './build.js';
export { stepsForChunk } from './build.js';
export { computeMatchingNote } from './matching.js';
export { ARM_MODES, modeOf, planArm, type ArmModes } from './modes.js';
export { ArmFailedError, runArm, type ArmResumePoint, type ArmRun, type RunArmOptions, type StageRecord } from './run-arm.js';
