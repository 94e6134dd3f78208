/**
 * Stages scored aside (run-arm.ts `evaluateAside`): each stage but the last is sent
 * without its evaluation, which runs as a task of its own on the stage's state beside the
 * next stage's training; records still come in stage order with the same metrics. Also
 * when a run asks for it (client-setup.ts `evaluationAside`) and the pool's order
 * (background waiters last).
 */
import { describe, expect, it } from 'vitest';
import { ClientRegistry } from '../../server/clients/registry.js';
import type { TaskClient } from '../../server/clients/pool.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { evaluationAside } from '../../server/run/client-setup.js';
import { ArmFailedError, planArm, runArm, type StageRecord } from '../../server/schedule/index.js';
import { evaluationAsideOf } from '../../server/schedule/eval-task.js';
import type { RunEventInput } from '../../shared/observe/run-events.js';
import type { EvalMetrics } from '../../shared/tasks.js';
import { FakePool } from '../support/fake-pool.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const chunkSizes = [100, 64, 33];

/** Distinct accuracies per scored state: the stage whose state it is shows in them. */
function scoreOf(stateIn: string[] | null): EvalMetrics {
  const stages = stateIn?.length ?? 0;
  return { knnTop1: 0.1 * stages, linearTop1: 0.1 * stages + 0.05, seconds: 1 };
}

describe('evaluation aside', () => {
  const tempDir = useTempDir('streamssl-aside-');
  const scenario = tinyScenario();
  const arm = scenario.arms[1]; // relay with replay, evaluated every stage

  it('sends each stage but the last without its evaluation and scores its state beside the next stage, recording in order', async () => {
    const log: string[] = [];
    const pool = new FakePool({
      workers: 3,
      beforeRun: (task) => void log.push(`train ${task.stage}`),
      evaluate: (task, stateIn) => {
        log.push(`eval ${task.taskId}`);
        return scoreOf(stateIn);
      },
    });
    const recorded: number[] = [];
    const run = await runArm({ scenario, arm, chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()), evaluateAside: true, onStage: (_, r) => void recorded.push(r.stage) });

    expect(pool.calls.map((c) => c.task.evaluation !== undefined)).toEqual([false, false, true]);
    expect(pool.evalCalls.map((c) => c.task.taskId)).toEqual(['relay-replay:stage-0:eval', 'relay-replay:stage-1:eval']);
    // Each evaluation scores its own stage's state, with the scenario's evaluation and stream.
    expect(pool.evalCalls.map((c) => c.stateIn)).toEqual([['relay-replay:stage-0'], ['relay-replay:stage-0', 'relay-replay:stage-1']]);
    expect(pool.evalCalls.map((c) => [c.task.arm, c.task.stage])).toEqual([
      ['relay-replay', 0],
      ['relay-replay', 1],
    ]);
    for (const { task } of pool.evalCalls) {
      expect(task.evaluation).toEqual(scenario.evaluation);
      expect(task.stream).toEqual(scenario.stream);
      expect(task.seed).toBe(scenario.seed);
      expect(task.model).toEqual(scenario.model);
    }
    // An evaluation goes out once the next stage's task is out, and waits behind the arm's tasks.
    expect(log.indexOf('train 1')).toBeLessThan(log.indexOf('eval relay-replay:stage-0:eval'));
    expect(log.indexOf('train 2')).toBeLessThan(log.indexOf('eval relay-replay:stage-1:eval'));
    expect(pool.acquired.filter((o) => o.background).length).toBe(2);
    expect(recorded).toEqual([0, 1, 2]);
    expect(run.stages.map((s) => s.metrics.eval?.knnTop1)).toEqual([0.1, 0.2, 0.5]);
    // The last stage scored itself (the fake pool's own metrics).
    expect(run.stages[2].metrics.eval).toEqual({ knnTop1: 0.5, linearTop1: 0.6, seconds: 1 });
  });

  it("trains the next stage while the evaluation runs: the stage's record waits for it", async () => {
    let trainedNext!: () => void;
    const nextTrained = new Promise<void>((resolve) => (trainedNext = resolve));
    const records: StageRecord[] = [];
    const pool = new FakePool({
      workers: 3,
      beforeRun: (task) => {
        if (task.stage === 1) trainedNext();
      },
      // Stage 0's evaluation ends only after stage 1 trained: awaiting it first would never end.
      evaluate: async (task, stateIn) => {
        if (task.taskId.endsWith('stage-0:eval')) await nextTrained;
        return scoreOf(stateIn);
      },
    });
    const run = await runArm({ scenario, arm, chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()), evaluateAside: true, onStage: (_, r) => void records.push(r) });
    expect(records.map((r) => r.stage)).toEqual([0, 1, 2]);
    expect(run.stages[0].metrics.eval?.knnTop1).toBe(0.1);
   }, 10_000);

  it('records a stage as soon as it is scored, while the next stage still trains', async () => {
    let recordedFirst!: () => void;
    const firstRecorded = new Promise<void>((resolve) => (recordedFirst = resolve));
    const pool = new FakePool({
      workers: 3,
      // Stage 1 trains until stage 0 is journaled: recording it only after stage 1 would never end.
      beforeRun: (task) => (task.stage === 1 ? firstRecorded : undefined),
      evaluate: (_task, stateIn) => scoreOf(stateIn),
    });
    const recorded: number[] = [];
    await runArm({ scenario, arm, chunkSizes }, {
      pool,
      checkpoints: new CheckpointStore(tempDir()),
      evaluateAside: true,
      onStage: (_, r) => {
        recorded.push(r.stage);
        if (r.stage === 0) recordedFirst();
      },
    });
    expect(recorded).toEqual([0, 1, 2]);
  }, 10_000);

  it('stops the arm at the stage whose evaluation failed, after the stage beside it trained', async () => {
    const pool = new FakePool({
      workers: 3,
      evaluate: (task, stateIn) => {
        if (task.taskId.endsWith('stage-1:eval')) throw new Error('the evaluating client broke');
        return scoreOf(stateIn);
      },
    });
    const recorded: number[] = [];
    const failure = await runArm({ scenario, arm, chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()), evaluateAside: true, onStage: (_, r) => void recorded.push(r.stage) }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ArmFailedError);
    const failed = failure as ArmFailedError;
    expect(failed.stage).toBe(1);
    expect(failed.message).toContain('the evaluating client broke');
    expect(failed.finished.map((s) => s.stage)).toEqual([0]);
    expect(recorded).toEqual([0]);
    expect(pool.calls.map((c) => c.task.stage)).toEqual([0, 1, 2]);
  });

  it('records the stage before a failed one once its evaluation is in', async () => {
    const pool = new FakePool({
      workers: 3,
      fail: (task) => (task.stage === 1 ? new Error('stage 1 failed on its client') : null),
      evaluate: (_task, stateIn) => scoreOf(stateIn),
    });
    const recorded: number[] = [];
    const failure = await runArm({ scenario, arm, chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()), evaluateAside: true, onStage: (_, r) => void recorded.push(r.stage) }).then(
      () => null,
      (err: unknown) => err as ArmFailedError,
    );
    expect(failure?.stage).toBe(1);
    expect(failure?.finished.map((s) => [s.stage, s.metrics.eval?.knnTop1])).toEqual([[0, 0.1]]);
    expect(recorded).toEqual([0]);
    expect(pool.evalCalls.map((c) => c.task.taskId)).toEqual(['relay-replay:stage-0:eval']);
  });

  it('keeps the evaluation in the task when states travel as float16, and without the option', async () => {
    const float16 = tinyScenario({ transfer: { encoding: 'float16' } });
    for (const [s, aside] of [
      [float16, true],
      [scenario, false],
    ] as const) {
      const pool = new FakePool({ workers: 3, evaluate: (_task, stateIn) => scoreOf(stateIn) });
      await runArm({ scenario: s, arm: s.arms[1], chunkSizes }, { pool, checkpoints: new CheckpointStore(tempDir()), evaluateAside: aside });
      expect(pool.calls.every((c) => c.task.evaluation !== undefined)).toBe(true);
      expect(pool.evalCalls).toEqual([]);
    }
  });

  it('is asked for when the clients outnumber those the arms keep busy at once', () => {
    // Three arms of one busy client each, in parallel.
    expect(evaluationAside(scenario, { clients: 3 })).toBe(false);
    expect(evaluationAside(scenario, { clients: 4 })).toBe(true);
    // Two seeds sharing the clients keep six busy.
    expect(evaluationAside(scenario, { clients: 4 }, 2)).toBe(false);
    expect(evaluationAside(scenario, { clients: 7 }, 2)).toBe(true);
    // Arms one after another keep one busy.
    const sequentialArms = tinyScenario({ clients: { parallelArms: false } });
    expect(evaluationAside(sequentialArms, { clients: 2 })).toBe(true);
    expect(evaluationAside(sequentialArms, { clients: 1 })).toBe(false);
  });
});

describe('client pool: background waiters', () => {
  const info = { hostname: 'h', address: '127.0.0.1', pid: 1 };
  const client = (id: string): TaskClient => ({ id, runTask: () => Promise.reject(new Error('not here')) });

  it('serves waiters that are not background first, whatever their order', async () => {
    const registry = new ClientRegistry();
    registry.add('a', info, client);
    const first = await registry.acquire();
    const served: string[] = [];
    const background = registry.acquire({ background: true }).then((c) => (served.push('background'), c));
    const foreground = registry.acquire().then((c) => (served.push('foreground'), c));
    registry.release(first);
    const next = await foreground;
    expect(served).toEqual(['foreground']);
    registry.release(next);
    await background;
    expect(served).toEqual(['foreground', 'background']);
   }, 10_000);

  it("announces an evaluation of one stage's state under its arm and stage", async () => {
    const published: RunEventInput[] = [];
    const registry = new ClientRegistry({ publish: (e) => void published.push(e) });
    registry.add('a', info, (id) => ({ id, runTask: () => Promise.reject(new Error('only announced here')) }));
    const [first] = planArm({ scenario: tinyScenario(), arm: tinyScenario().arms[1], chunkSizes });
    const aside = evaluationAsideOf(first)!;
    const lease = await registry.acquire({ background: true });
    await lease.runTask(aside, null, null).catch(() => undefined);
    expect(published.find((e) => e.type === 'task-assigned')).toMatchObject({ taskId: 'relay-replay:stage-0:eval', kind: 'eval', arm: 'relay-replay', stage: 0 });
  });

  it('serves a background waiter at once when a client is idle', async () => {
    const registry = new ClientRegistry();
    registry.add('a', info, client);
    expect((await registry.acquire({ background: true })).id).toBe('a');
  });
});
