/**
 * The loop's round deadline, with scripted workers whose slow tasks end only when the test
 * lets them (so no timing decides the outcome): results that arrive in time are
 * aggregated, late ones are dropped and counted, a late task is not retried, and a round
 * with nothing in time keeps the previous output (or, in the first round, fails clearly).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../shared/codec.js';
import type { ArmSpec } from '../../shared/scenario.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { ClientPool, TaskClient } from '../../server/clients/pool.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { buildTrainTask } from '../../server/schedule/build.js';
import { runUntilDeadline } from '../../server/schedule/deadline.js';
import { ARM_MODES, ArmFailedError, runArm, type ArmMode, type ArmModes } from '../../server/schedule/index.js';
import { TaskError } from '../../server/net/remote-client.js';
import { FakePool } from '../support/fake-pool.js';
import { logBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait.js';

const DEADLINE = 0.5;

/** Two rounds of three tasks (one per chunk); the output lists every task id that reached it. */
const roundsMode: ArmMode = {
  sequential: false,
  reference: false,
  plan: (input) =>
    [0, 1].map((r) => ({
      record: buildTrainTask(input, { stage: r, chunks: [0, 1, 2], steps: 9, startStep: 9 * r, totalSteps: 18, replay: { mode: 'none' }, evaluate: true }),
    })),
  configure: ({ record }, previous) =>
    [0, 1, 2].map((k) => ({ task: { ...record, taskId: `a:round-${record.stage}:chunk-${k}`, data: { ...record.data, chunks: [k] }, steps: 3 }, state: previous?.state ?? null, replay: null })),
  aggregate: (_stage, results) => ({
    state: encode(results.flatMap((r) => decode(r.outcome.state!) as string[])),
    replay: null,
    metrics: { ...results[0].outcome.metrics, steps: results.reduce((n, r) => n + r.task.steps, 0) },
    clientId: results.map((r) => r.outcome.clientId).join(','),
    handoffSeconds: 0,
  }),
  evaluation: () => null,
  busyClients: () => 3,
  strategyName: () => 'none',
  labels: () => ({ heading: 'rounds', comparison: 'rounds' }),
  matchingNote: () => null,
  deadlineSeconds: () => DEADLINE,
};
const modes: ArmModes = { ...ARM_MODES, rounds: roundsMode };

/** A FakePool whose tasks named in `slow` wait for `release()` before they run. */
function gatedPool(slow: readonly string[], fail?: (task: TrainTask) => Error | null) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const inner = new FakePool({ workers: 3, fail: (task) => fail?.(task) ?? null });
  const pool: ClientPool = {
    acquire: async () => {
      const client = await inner.acquire();
      const gated: TaskClient = {
        id: client.id,
        runTask: async (task, state, replay) => {
          if (slow.includes(task.taskId)) await gate;
          return client.runTask(task, state, replay);
        },
      };
      return gated;
    },
    release: (client, end) => inner.release(client, end),
  };
  return { pool, inner, release: () => open() };
}

describe('the round deadline', () => {
  const tempDir = useTempDir('streamssl-deadline-');
  const scenario = tinyScenario();
  const arm = { name: 'a', mode: 'rounds', strategy: scenario.arms[0].strategy } as unknown as ArmSpec;
  const input = { scenario, arm, chunkSizes: [100, 110, 120] };

  it('aggregates the results in time, drops and counts the late one, ignores it when it comes and does not retry it', async () => {
    const slow = 'a:round-0:chunk-1';
    const gated = gatedPool([slow], (task) => (task.taskId === slow ? new TaskError('disconnected', 'client w1 disconnected (transport close)') : null));
    const log = logBuffer('info');
    const run = await runArm(input, { pool: gated.pool, checkpoints: new CheckpointStore(tempDir()), retry: { retries: 3 }, logger: log.logger }, modes);

    expect(run.stages.map((s) => s.dropped)).toEqual([
      { taskIds: [slow], steps: 3, keptPrevious: false },
      { taskIds: [], steps: 0, keptPrevious: false },
    ]);
    expect(run.stages.map((s) => s.metrics.steps)).toEqual([6, 9]);
    const last = decode(await readFile(run.stages[1].checkpoint.state)) as string[];
    expect(last.filter((id) => id.startsWith('a:round-0'))).not.toContain(slow);
    expect(last.filter((id) => id.startsWith('a:round-0')).length).toBe(3 * 2); // two results of round 0 reached each of the three of round 1
    expect(log.messages(/late results dropped/)).toHaveLength(1);

    // The late task ends (its client lost): its failure is ignored, and it is not run again.
    gated.release();
    await waitUntil(() => log.messages(/after the round deadline ignored/).length === 1, 'the late task to end');
    expect(gated.inner.calls.filter((c) => c.task.taskId === slow)).toHaveLength(1);
  });

  it('a round with nothing in time keeps the previous output; a first round with nothing in time fails the arm', async () => {
    const dir = tempDir();
    const secondRound = gatedPool([0, 1, 2].map((k) => `a:round-1:chunk-${k}`));
    const run = await runArm(input, { pool: secondRound.pool, checkpoints: new CheckpointStore(dir) }, modes);
    secondRound.release();
    expect(run.stages[1].dropped).toEqual({ taskIds: ['a:round-1:chunk-0', 'a:round-1:chunk-1', 'a:round-1:chunk-2'], steps: 9, keptPrevious: true });
    expect(run.stages[1].metrics.steps).toBe(0);
    expect(await readFile(run.stages[1].checkpoint.state)).toEqual(await readFile(run.stages[0].checkpoint.state));

    const firstRound = gatedPool([0, 1, 2].map((k) => `a:round-0:chunk-${k}`));
    const err = await runArm(input, { pool: firstRound.pool, checkpoints: new CheckpointStore(tempDir()) }, modes).catch((e: unknown) => e);
    firstRound.release();
    expect(err).toBeInstanceOf(ArmFailedError);
    expect((err as Error).message).toMatch(/^arm a, stage 0: no result arrived within the round deadline \(0\.5 s\) and there is no earlier model to keep/);
  });

  it('runUntilDeadline: all in time, or the late ones listed; a failure in time fails it', async () => {
    const now = <T>(value: T) => () => Promise.resolve(value);
    expect(await runUntilDeadline([now(1), now(2)], 5)).toEqual({ results: [1, 2], late: [] });
    let finish: (v: number) => void = () => undefined;
    const never = () => new Promise<number>((resolve) => (finish = resolve));
    const late: Array<{ index: number; result?: number }> = [];
    const split = await runUntilDeadline([now(1), never, now(3)], 0.2, (index, end) => late.push({ index, result: end.result }));
    expect(split).toEqual({ results: [1, undefined, 3], late: [1] });
    finish(2);
    await waitUntil(() => late.length === 1, 'the late result');
    expect(late).toEqual([{ index: 1, result: 2 }]);
    await expect(runUntilDeadline([now(1), () => Promise.reject(new Error('engine failed'))], 5)).rejects.toThrow('engine failed');
  });
});
