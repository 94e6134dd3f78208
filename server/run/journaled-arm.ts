/**
 * One arm of a run, journaled: what is left of it runs from where the journal says it
 * stopped, each finished stage and retry goes to the journal, and a failure is recorded
 * (journal, events, log) and ends this arm only.
 */
import type { Logger } from '../../shared/log.js';
import type { ClientPool } from '../clients/pool.js';
import { MAX_RECORDED_ERROR_LENGTH, plainText } from '../net/client-text.js';
import type { EventSink } from '../observe/bus.js';
import { armFailedEvent } from '../observe/stage-events.js';
import { runArm, type ArmRun } from '../schedule/index.js';
import { ArmFailedError } from '../schedule/run-arm.js';
import type { CheckpointStore } from './checkpoints.js';
import type { RunJournal } from './journal.js';
import type { ArmStart } from './resume-point.js';
import type { RetryPolicy } from './retry.js';

/** What every arm of a run shares: the clients, the checkpoints, the retry policy, the stream's chunk sizes. */
export interface ArmContext {
  pool: ClientPool;
  checkpoints: CheckpointStore;
  retry: RetryPolicy;
  logger: Logger;
  chunkSizes: number[];
  events: EventSink;
  /** Score stages beside the next one's training (run-arm.ts `evaluateAside`). */
  evaluateAside: boolean;
}

/**
 * Runs what is left of one arm, journaling each stage; a failure (a stage, a checkpoint or
 * journal write that failed for good) ends this arm only, and never rejects.
 */
export async function runJournaledArm(journal: RunJournal, start: ArmStart, ctx: ArmContext): Promise<ArmRun> {
  const { arm } = start;
  if (start.done) return { arm, stages: start.finished };
  if (start.resume) ctx.logger.info({ arm: arm.name, after: start.resume.stages.length - 1 }, 'arm continues after its last finished stage');
  try {
    if (journal.armError(arm.name) !== null) await journal.recordArmError(arm.name, null);
    const { chunkSizes, ...runContext } = ctx;
    return await runArm({ scenario: journal.scenario, arm, chunkSizes }, {
      ...runContext,
      ...(start.resume ? { resume: start.resume } : {}),
      onStage: (_, record) => journal.recordStage(arm.name, record),
      onRetry: (_, stage, e) => journal.recordRetry({ taskId: e.taskId, arm: arm.name, stage, attempt: e.attempt, client: e.client, reason: e.reason }),
    });
  } catch (err) {
    // The error may quote a client: one plain, bounded line in the journal, results.json and report.md.
    const error = plainText((err as Error).message ?? String(err), MAX_RECORDED_ERROR_LENGTH);
    ctx.logger.error({ arm: arm.name, err: error }, 'arm failed; the other arms go on');
    ctx.events.publish(armFailedEvent(arm.name, error, err instanceof ArmFailedError ? err.stage : undefined));
    // The journal may be what failed: the arm's failure is reported all the same, and resume continues after its last journaled stage.
    await journal
      .recordArmError(arm.name, error)
      .catch((journalErr: unknown) =>
        ctx.logger.error({ arm: arm.name, err: (journalErr as Error).message }, `could not journal why the arm stopped; ${journal.path} holds the stages it finished before`),
      );
    return { arm, stages: journal.stages(arm.name), error };
  }
}
