/**
 * Where each arm of a journaled run continues: finished (nothing to do), from scratch, or
 * after its last finished stage, from that stage's checkpoint. The journaled stages must
 * be the ones the plan gives now, and the checkpoint a stage continues from must hold
 * the bytes that were written (its SHA-256 is in the journal), else the run is refused.
 */
import { access } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ArmSpec } from '../../shared/scenario.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { CheckpointStore } from './checkpoints.js';
import { JournalError, type RunJournal } from './journal.js';
import { planArm, type ArmResumePoint, type StageRecord } from '../schedule/index.js';

export interface ArmStart {
  arm: ArmSpec;
  /** The stages the journal holds. */
  finished: StageRecord[];
  /** Where a partly run arm continues; null when it starts from scratch or is done. */
  resume: ArmResumePoint | null;
  done: boolean;
}

/** The starting point of every arm, in scenario order; needs the journal's stream. */
export async function armStarts(journal: RunJournal, checkpoints: CheckpointStore): Promise<ArmStart[]> {
  const stream = journal.stream;
  if (!stream) throw new Error('armStarts: the journal has no stream plan yet');
  const chunkSizes = stream.chunks.map((c) => c.size);
  const starts: ArmStart[] = [];
  for (const arm of journal.scenario.arms) {
    const tasks = planArm({ scenario: journal.scenario, arm, chunkSizes });
    const finished = journal.stages(arm.name);
    checkFinishedStages(journal, arm, tasks, finished);
    const done = finished.length === tasks.length;
    const resume = done || finished.length === 0 ? null : await resumePoint(journal, checkpoints, arm, finished);
    starts.push({ arm, finished, resume, done });
  }
  return starts;
}

function checkFinishedStages(journal: RunJournal, arm: ArmSpec, tasks: readonly TrainTask[], finished: readonly StageRecord[]): void {
  if (finished.length > tasks.length) throw new JournalError(`${journal.path}: arm ${arm.name} has ${finished.length} finished stages, its plan only ${tasks.length}`);
  finished.forEach((record, k) => {
    if (!isDeepStrictEqual(record.task, tasks[k])) throw new JournalError(`${journal.path}: arm ${arm.name} stage ${k} ran another task than the plan gives now`);
  });
}

async function resumePoint(journal: RunJournal, checkpoints: CheckpointStore, arm: ArmSpec, finished: StageRecord[]): Promise<ArmResumePoint> {
  const last = finished[finished.length - 1];
  try {
    for (const record of finished.slice(0, -1)) await access(record.checkpoint.state);
    const { state, replay } = await checkpoints.read(arm.name, last.stage, last.checkpoint.sha256);
    return { stages: finished, state, replay };
  } catch (err) {
    throw new JournalError(`${journal.runDir}: cannot continue arm ${arm.name} after stage ${last.stage}: ${(err as Error).message}`);
  }
}
