/**
 * A new arm mode is one object and one registry line: a relay that visits the chunks last
 * to first, defined here, runs through the same loop as the built-in modes, with the
 * loop's checkpoints, journal hooks and resume from a middle stage.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from '../../shared/codec.js';
import type { ArmSpec, ArmSpecOf } from '../../shared/scenario.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { buildTrainTask, relaySteps, replayOptions } from '../../server/schedule/build.js';
import { ARM_MODES, ArmFailedError, planArm, runArm, type ArmMode, type ArmModes, type StageRecord } from '../../server/schedule/index.js';
import { TaskError } from '../../server/net/remote-client.js';
import { FakePool } from '../support/fake-pool.js';
import { checkpointFiles } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

type RelayArm = ArmSpecOf<'relay'>;

/** Relay in reverse: stage k trains chunk n-1-k from stage k-1's state and replay. */
const reverseRelay: ArmMode<RelayArm> = {
  sequential: true,
  reference: false,
  plan(input) {
    const steps = relaySteps(input);
    const totalSteps = steps.reduce((a, b) => a + b, 0);
    let startStep = 0;
    return steps.map((_, k) => {
      const chunk = steps.length - 1 - k;
      const record = buildTrainTask(input, { stage: k, chunks: [chunk], steps: steps[chunk], startStep, totalSteps, replay: replayOptions(input.arm), evaluate: true });
      startStep += steps[chunk];
      return { record };
    });
  },
  configure: ({ record }, previous) => [{ task: record, state: previous?.state ?? null, replay: previous?.replay ?? null }],
  aggregate(_stage, [{ outcome }]) {
    if (!outcome.state) throw new Error('no state');
    return { state: outcome.state, replay: outcome.replay, metrics: outcome.metrics, clientId: outcome.clientId, handoffSeconds: outcome.handoffSeconds };
  },
  evaluation: () => null,
  busyClients: () => 1,
  strategyName: (arm) => arm.strategy.name,
  labels: () => ({ heading: 'reverse relay', comparison: 'reverse relay' }),
  matchingNote: () => null,
};

const modes: ArmModes = { ...ARM_MODES, 'reverse-relay': reverseRelay };

describe('an arm mode plugged into the registry', () => {
  const tempDir = useTempDir('streamssl-arm-mode-');
  const scenario = tinyScenario();
  // The scenario schema lists the built-in modes only; a real new mode adds its name and options there.
  const arm = { ...scenario.arms[1], name: 'reverse', mode: 'reverse-relay' } as unknown as ArmSpec;
  const input = { scenario, arm, chunkSizes: [100, 64, 33] };
  const stageIds = ['reverse:stage-0', 'reverse:stage-1', 'reverse:stage-2'];

  it('plans and runs through the one loop: chunks last to first, state and replay handed on, each stage checkpointed before the next', async () => {
    const dir = tempDir();
    const checkpointed: boolean[] = [];
    const pool = new FakePool({
      beforeRun: (task) => {
        if (task.stage > 0) checkpointed.push(existsSync(join(dir, 'checkpoints', 'reverse', `stage-${task.stage - 1}.state`)));
      },
    });
    const journaled: StageRecord[] = [];
    const run = await runArm(input, { pool, checkpoints: new CheckpointStore(dir), onStage: (_, record) => void journaled.push(record) }, modes);

    expect(planArm(input, modes).map((t) => t.data.chunks)).toEqual([[2], [1], [0]]);
    expect(pool.calls.map((c) => c.task.data.chunks)).toEqual([[2], [1], [0]]);
    expect(pool.calls.map((c) => c.task.optimizer.startStep)).toEqual([0, 3, 7]); // chunk steps 7, 4, 3, taken last to first
    expect(pool.calls.map((c) => c.stateIn)).toEqual([null, stageIds.slice(0, 1), stageIds.slice(0, 2)]);
    expect(pool.calls[2].replayIn).toEqual(stageIds.slice(0, 2).map((id) => `replay-of-${id}`));
    expect(checkpointed).toEqual([true, true]);
    expect(journaled).toEqual(run.stages);
    expect(run.stages.map((s) => [s.stage, s.metrics.eval?.knnTop1])).toEqual([
      [0, 0.5],
      [1, 0.5],
      [2, 0.5],
    ]);
    expect(decode((await new CheckpointStore(dir).read('reverse', 2)).state)).toEqual(stageIds);
  });

  it('resumes after a middle stage from its checkpoint and ends as an undisturbed run', async () => {
    const dir = tempDir();
    const undisturbed = await runArm(input, { pool: new FakePool(), checkpoints: new CheckpointStore(join(dir, 'undisturbed')) }, modes);
    const failing = new FakePool({ fail: (task) => (task.taskId === 'reverse:stage-2' ? new TaskError('task_failed', 'boom') : null) });
    const err = await runArm(input, { pool: failing, checkpoints: new CheckpointStore(join(dir, 'resumed')) }, modes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmFailedError);
    const finished = (err as ArmFailedError).finished;
    expect(finished.map((s) => s.stage)).toEqual([0, 1]);

    const saved = await new CheckpointStore(join(dir, 'resumed')).read('reverse', 1, finished[1].checkpoint.sha256);
    const pool = new FakePool();
    const resumed = await runArm(input, { pool, checkpoints: new CheckpointStore(join(dir, 'resumed')), resume: { stages: finished, ...saved } }, modes);
    expect(pool.calls.map((c) => [c.task.taskId, c.task.data.chunks, c.stateIn])).toEqual([['reverse:stage-2', [0], stageIds.slice(0, 2)]]);
    expect(resumed.stages.map((s) => s.metrics)).toEqual(undisturbed.stages.map((s) => s.metrics));
    expect(await checkpointFiles(join(dir, 'resumed'))).toEqual(await checkpointFiles(join(dir, 'undisturbed')));
  });

  it('refuses an arm whose mode the registry does not hold', async () => {
    await expect(runArm(input, { pool: new FakePool(), checkpoints: new CheckpointStore(tempDir()) })).rejects.toThrow(/arm reverse: unknown arm mode "reverse-relay"/);
  });
});
