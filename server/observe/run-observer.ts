/**
 * What a run does to be watched: its event bus (given, e.g. by the terminal display, or
 * made here), continued from the run's metrics.jsonl when it is resumed, and the file
 * appended to; plus the events that only the run as a whole knows of.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';
import type { RunEventInput } from '../../shared/observe/run-events.js';
import type { Scenario } from '../../shared/scenario.js';
import { seedList } from '../../shared/scenario-seeds.js';
import type { ArmStart } from '../run/resume-point.js';
import { modeOf } from '../schedule/index.js';
import { RunEvents } from './bus.js';
import { METRICS_FILE, MetricsFile } from './metrics-file.js';
import { readMetricsFile } from './read-metrics.js';

export interface RunObservation {
  events: RunEvents;
  /** Writes what is queued and stops appending. */
  close(): Promise<void>;
}

/** The run's events, continued from `runDir/metrics.jsonl` when it holds an earlier session, and appended to it. */
export async function observeRun(runDir: string, o: { events?: RunEvents; logger: Logger }): Promise<RunObservation> {
  const events = o.events ?? new RunEvents(undefined, (err) => o.logger.warn({ err: (err as Error).message }, 'a run-event listener failed and was removed'));
  const path = join(runDir, METRICS_FILE);
  if (events.snapshot.sessions === 0 && existsSync(path)) {
    try {
      const read = await readMetricsFile(path);
      events.restore(read.snapshot);
      if (read.skipped > 0) o.logger.warn({ skipped: read.skipped, problems: read.problems }, `${METRICS_FILE}: lines skipped while reading the earlier sessions`);
    } catch (err) {
      o.logger.warn({ err: (err as Error).message }, `could not read ${path}; the view starts from this session`);
    }
  }
  const file = new MetricsFile(path, events, { logger: o.logger });
  return { events, close: () => file.close() };
}

/** `run-started` of a session of `scenario` (with its seeds, when it runs over several). */
export function runStartedEvent(scenario: Scenario, resumed: boolean, parallelArms: boolean): RunEventInput {
  const seeds = seedList(scenario);
  return { type: 'run-started', scenario: scenario.name, resumed, parallelArms, arms: scenario.arms.map((a) => ({ name: a.name, mode: a.mode })), ...(seeds ? { seeds } : {}) };
}

/** `arms-planned`: each arm's stages with their steps, and how many finished in earlier sessions. */
export function armsPlannedEvent(scenario: Scenario, starts: readonly ArmStart[], chunkSizes: number[]): RunEventInput {
  return {
    type: 'arms-planned',
    arms: starts.map(({ arm, finished }) => ({
      name: arm.name,
      stages: modeOf(arm)
        .plan({ scenario, arm, chunkSizes })
        .map((s) => ({ stage: s.record.stage, steps: s.record.steps, evaluates: s.record.evaluation !== undefined })),
      finished: finished.length,
    })),
  };
}
