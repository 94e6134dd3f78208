import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from '../../shared/codec.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { computeMatchingNote, planArm, runArm, stepsForChunk } from '../../server/schedule/index.js';
import type { ClientPool } from '../../server/clients/pool.js';
import { FakePool } from '../support/fake-pool.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

describe('schedulers', () => {
  const tempDir = useTempDir('streamssl-schedule-');

  const scenario = tinyScenario({ training: { epochsPerChunk: 1.5, batchSize: 32 } });
  const chunkSizes = [100, 64, 33];
  // ceil(1.5 * 100 / 32) = 5, ceil(1.5 * 64 / 32) = 3, ceil(1.5 * 33 / 32) = 2
  const expectedSteps = [5, 3, 2];

  it('counts steps as ceil(epochsPerChunk * chunkSize / batchSize)', () => {
    expect(chunkSizes.map((n) => stepsForChunk(n, 1.5, 32))).toEqual(expectedSteps);
    expect(stepsForChunk(1000, 0.3, 100)).toBe(3);
    expect(stepsForChunk(1, 1, 128)).toBe(1);
  });

  it('relay: stages in chunk order, state and replay handed on, checkpoints written first', async () => {
    const arm = scenario.arms[1]; // relay with replay
    const checkpointed: boolean[] = [];
    const pool = new FakePool({
      beforeRun: (task) => {
        if (task.stage > 0) checkpointed.push(existsSync(join(tempDir(), 'checkpoints', arm.name, `stage-${task.stage - 1}.state`)));
      },
    });
    const checkpoints = new CheckpointStore(tempDir());
    const run = await runArm({ scenario, arm, chunkSizes }, { pool, checkpoints });

    expect(pool.calls.map((c) => c.task.data.chunks)).toEqual([[0], [1], [2]]);
    expect(pool.calls.map((c) => c.task.steps)).toEqual(expectedSteps);
    expect(pool.calls.map((c) => c.task.optimizer.startStep)).toEqual([0, 5, 8]);
    expect(pool.calls.every((c) => c.task.optimizer.totalSteps === 10)).toBe(true);
    expect(pool.calls.map((c) => c.stateIn)).toEqual([null, ['relay-replay:stage-0'], ['relay-replay:stage-0', 'relay-replay:stage-1']]);
    expect(pool.calls[2].replayIn).toEqual(['replay-of-relay-replay:stage-0', 'replay-of-relay-replay:stage-1']);
    expect(pool.calls[0].task.replay).toEqual({ mode: 'replay', size: 10, ratio: 0.5, selection: 'random' });
    expect(pool.calls.every((c) => c.task.evaluation !== undefined)).toBe(true);
    expect(pool.events).toEqual(['acquire w0', 'release w0', 'acquire w1', 'release w1', 'acquire w0', 'release w0']);

    expect(checkpointed).toEqual([true, true]);
    expect(run.stages.map((s) => s.clientId)).toEqual(['w0', 'w1', 'w0']);
    expect(await readdir(join(tempDir(), 'checkpoints', arm.name))).toEqual(
      ['stage-0.replay', 'stage-0.state', 'stage-1.replay', 'stage-1.state', 'stage-2.replay', 'stage-2.state'],
    );
    const last = await checkpoints.read(arm.name, 2);
    expect(decode(last.state)).toEqual(['relay-replay:stage-0', 'relay-replay:stage-1', 'relay-replay:stage-2']);
    expect(run.stages[2].checkpoint.state).toBe(join(tempDir(), 'checkpoints', arm.name, 'stage-2.state'));
  });

  it("relay hands each stage's replay ceiling from the plan with its task, also to a resumed arm; fine-tune and joint none", async () => {
    const fractional = tinyScenario({ arms: [{ name: 'relay-fraction', mode: 'relay', strategy: { name: 'replay', fraction: 0.25 } }] });
    const input = { scenario: fractional, arm: fractional.arms[0], chunkSizes };
    // 0.25 x [100, 64, 33] = 25, 16, 8.25 -> 8, as the client rounds: 25, 41, 49 held after each stage.
    const pool = new FakePool();
    const run = await runArm(input, { pool, checkpoints: new CheckpointStore(tempDir()) });
    expect(pool.calls.map((c) => c.bounds)).toEqual([{ replaySamples: 25 }, { replaySamples: 41 }, { replaySamples: 49 }]);
    const resumedPool = new FakePool();
    const first = run.stages[0].checkpoint;
    const resume = { stages: run.stages.slice(0, 1), state: await readFile(first.state), replay: await readFile(first.replay!) };
    await runArm(input, { pool: resumedPool, checkpoints: new CheckpointStore(tempDir()), resume });
    expect(resumedPool.calls.map((c) => [c.task.stage, c.bounds])).toEqual([[1, { replaySamples: 41 }], [2, { replaySamples: 49 }]]);
    const others = new FakePool();
    for (const arm of [scenario.arms[0], scenario.arms[2]]) await runArm({ scenario, arm, chunkSizes }, { pool: others, checkpoints: new CheckpointStore(tempDir()) });
    expect(others.calls.map((c) => c.bounds)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('relay without everyStage evaluates only the last stage, and fine-tune keeps no replay', async () => {
    const quiet = tinyScenario({ evaluation: { everyStage: false } });
    const pool = new FakePool({ workers: 1 });
    await runArm({ scenario: quiet, arm: quiet.arms[0], chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()) });
    expect(pool.calls.map((c) => c.task.evaluation !== undefined)).toEqual([false, false, true]);
    expect(pool.calls.map((c) => c.task.replay)).toEqual([{ mode: 'none' }, { mode: 'none' }, { mode: 'none' }]);
    expect(pool.calls.map((c) => c.replayIn)).toEqual([null, null, null]);
    expect(await readdir(join(tempDir(), 'checkpoints', quiet.arms[0].name))).toEqual(['stage-0.state', 'stage-1.state', 'stage-2.state']);
  });

  it('joint: one stage on every chunk with as many steps as the whole relay, no replay', async () => {
    const pool = new FakePool();
    const run = await runArm({ scenario, arm: scenario.arms[2], chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()) });
    expect(pool.calls).toHaveLength(1);
    const task = pool.calls[0].task;
    expect(task.data.chunks).toEqual([0, 1, 2]);
    expect(task.steps).toBe(10);
    expect(task.optimizer).toMatchObject({ startStep: 0, totalSteps: 10 });
    expect(task.replay).toEqual({ mode: 'none' });
    expect(task.evaluation).toEqual(scenario.evaluation);
    expect(pool.calls[0].stateIn).toBeNull();
    expect(run.stages).toHaveLength(1);
    expect(await readdir(join(tempDir(), 'checkpoints', 'joint'))).toEqual(['stage-0.state']);
    expect(computeMatchingNote({ scenario, chunkSizes })).toMatch(/5 \+ 3 \+ 2 = 10 steps/);
  });

  it('relay and joint plans have equal total steps for any chunk sizes', () => {
    for (const sizes of [[1, 1, 1], [999, 1, 37], [60000, 60000, 60000]]) {
      const relay = planArm({ scenario, arm: scenario.arms[0], chunkSizes: sizes });
      const joint = planArm({ scenario, arm: scenario.arms[2], chunkSizes: sizes });
      expect(joint[0].steps).toBe(relay.reduce((total, t) => total + t.steps, 0));
      expect(relay[relay.length - 1].optimizer.startStep + relay[relay.length - 1].steps).toBe(joint[0].optimizer.totalSteps);
    }
  });

  it('rejects chunk sizes that do not fit the stream', () => {
    expect(() => planArm({ scenario, arm: scenario.arms[0], chunkSizes: [10, 10] })).toThrow(/expected 3 chunk sizes/);
    expect(() => planArm({ scenario, arm: scenario.arms[2], chunkSizes: [10, 0, 10] })).toThrow(/chunk 1 has 0 samples/);
  });

  it('a failing stage stops the arm and releases its worker', async () => {
    const pool = new FakePool();
    const failing: ClientPool = {
      acquire: async () => {
        const worker = await pool.acquire();
        return { id: worker.id, runTask: async () => Promise.reject(new Error('client lost')) };
      },
      release: (w) => pool.release(w),
    };
    await expect(runArm({ scenario, arm: scenario.arms[0], chunkSizes }, { pool: failing, checkpoints: new CheckpointStore(tempDir()) })).rejects.toThrow(
      'client lost',
    );
    expect(pool.events).toEqual(['acquire w0', 'release w0']);
  });
});
