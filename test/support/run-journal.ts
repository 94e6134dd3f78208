/** Test helper: how far a run folder's journal has got. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { JOURNAL_FILE, RunJournal } from '../../server/run/journal.js';

/** Finished stages of every arm in a run folder's journal (0 while there is none yet). */
export async function finishedStages(runDir: string): Promise<number> {
  if (!existsSync(join(runDir, JOURNAL_FILE))) return 0;
  const journal = await RunJournal.open(runDir);
  return journal.scenario.arms.reduce((n, arm) => n + journal.stages(arm.name).length, 0);
}
