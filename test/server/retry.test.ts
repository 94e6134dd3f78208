/**
 * Stage retries with scripted workers: a lost client (disconnected, timed out, busy) runs
 * the stage again from the same input on another worker, bounded by `retries`; an engine
 * failure is not retried; a resumed arm runs only what is left. Retried and resumed arms
 * write the same checkpoints as an undisturbed one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransferError } from '../../shared/transfer.js';
import { CheckpointStore } from '../../server/run/checkpoints.js';
import { ClientRegistry } from '../../server/clients/registry.js';
import { busyPauseMs, isLostClient, runWithRetries, TaskFailure, type RetryEvent } from '../../server/run/retry.js';
import { ArmFailedError, planArm, runArm, type ArmRun } from '../../server/schedule/index.js';
import { TaskError } from '../../server/net/remote-client.js';
import type { ClientPool } from '../../server/clients/pool.js';
import { FakePool } from '../support/fake-pool.js';
import { checkpointFiles } from '../support/same-run.js';
import { tinyScenario } from '../support/scenario.js';
import { useTempDir } from '../support/temp-dir.js';

const calls = (pool: FakePool, taskId: string) => pool.calls.filter((c) => c.task.taskId === taskId);
const lost = (worker = 'w1') => new TaskError('disconnected', `client ${worker} disconnected (transport close)`);

describe('stage retries', () => {
  const scenario = tinyScenario();
  const arm = scenario.arms[1]; // relay with replay
  const input = { scenario, arm, chunkSizes: [100, 64, 33] };
  const tasks = planArm(input);
  const tempDir = useTempDir('streamssl-retry-');

  async function run(pool: ClientPool, out: string, retries: number, events: Array<{ stage: number } & RetryEvent> = []): Promise<ArmRun> {
    return runArm(input, {
      pool,
      checkpoints: new CheckpointStore(out),
      retry: { retries },
      onRetry: (_, stage, event) => void events.push({ stage, ...event }),
    });
  }

  it('runs a stage whose client was lost again, from the same input, and ends as an undisturbed arm', async () => {
    const dir = tempDir();
    const pool = new FakePool({ workers: 3, fail: (task, attempt) => (task.taskId === 'relay-replay:stage-1' && attempt === 1 ? lost() : null) });
    const events: Array<{ stage: number } & RetryEvent> = [];
    const retried = await run(pool, join(dir, 'retried'), 2, events);
    const undisturbed = await run(new FakePool(), join(dir, 'undisturbed'), 2);

    const stage1 = calls(pool, 'relay-replay:stage-1');
    expect(stage1).toHaveLength(2);
    expect(stage1[1].worker).not.toBe(stage1[0].worker);
    expect(stage1[1].stateIn).toEqual(stage1[0].stateIn);
    expect(stage1[1].replayIn).toEqual(stage1[0].replayIn);
    expect(events).toEqual([{ stage: 1, taskId: 'relay-replay:stage-1', attempt: 1, client: stage1[0].worker, reason: lost().message }]);
    expect(retried.stages.map((s) => s.metrics)).toEqual(undisturbed.stages.map((s) => s.metrics));
    expect(await checkpointFiles(join(dir, 'retried'))).toEqual(await checkpointFiles(join(dir, 'undisturbed')));
  });

  it('does not retry an engine failure: the arm fails naming arm, stage and client, keeping its finished stages', async () => {
    const diverged = new TaskError('task_failed', 'client w1: task relay-replay:stage-1 failed: loss is NaN');
    const pool = new FakePool({ fail: (task) => (task.taskId === 'relay-replay:stage-1' ? diverged : null) });
    const err = await run(pool, tempDir(), 5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmFailedError);
    expect((err as ArmFailedError).message).toBe('arm relay-replay, stage 1: client w1: task relay-replay:stage-1 failed: loss is NaN');
    expect((err as ArmFailedError).finished.map((s) => s.stage)).toEqual([0]);
    expect(calls(pool, 'relay-replay:stage-1')).toHaveLength(1);
  });

  it('gives up after `retries` lost clients, naming each', async () => {
    const pool = new FakePool({ workers: 3, fail: (task, attempt) => (task.taskId === 'relay-replay:stage-2' ? lost(`w${(attempt + 1) % 3}`) : null) });
    const err = (await run(pool, tempDir(), 2).catch((e: unknown) => e)) as ArmFailedError;
    expect(calls(pool, 'relay-replay:stage-2')).toHaveLength(3);
    expect(err.message).toMatch(/^arm relay-replay, stage 2: gave up after 3 attempt\(s\), each lost its client \(clients.retries is 2\): /);
    expect(err.message).toMatch(/client w2 disconnected .*; client w0 disconnected .*; client w1 disconnected/);
    expect(err.finished).toHaveLength(2);
  });

  it('counts disconnects, stage timeouts and busy refusals as lost clients, nothing else', () => {
    expect(isLostClient(lost())).toBe(true);
    expect(isLostClient(new TaskError('timeout', 'no result'))).toBe(true);
    expect(isLostClient(new TaskError('busy', 'already running'))).toBe(true);
    expect(isLostClient(new TransferError('disconnected', 'gone mid-upload'))).toBe(true);
    expect(isLostClient(new TaskError('task_failed', 'diverged'))).toBe(false);
    expect(isLostClient(new TaskError('bad_request', 'malformed'))).toBe(false);
    expect(isLostClient(new Error('disconnected'))).toBe(false);
  });

  it('asks a client that is still busy with a task it lost again, without spending a retry, for as long as the wait allows', async () => {
    const busyTwice = new FakePool({ workers: 1, fail: (_, attempt) => (attempt <= 2 ? new TaskError('busy', 'client w0 is still running another task') : null) });
    const started = Date.now();
    const outcome = await runWithRetries(busyTwice, tasks[0], null, null, { retries: 0, noClientsTimeoutMs: 10_000 });
    expect(outcome.clientId).toBe('w0');
    expect(calls(busyTwice, tasks[0].taskId)).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(busyPauseMs(1) + busyPauseMs(2) - 50);

    const alwaysBusy = new FakePool({ workers: 1, fail: () => new TaskError('busy', 'client w0 is still running another task') });
    const err = await runWithRetries(alwaysBusy, tasks[0], null, null, { retries: 1, noClientsTimeoutMs: 600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect((err as Error).message).toMatch(/^gave up after 2 attempt\(s\), each lost its client/);
    expect([busyPauseMs(1), busyPauseMs(2), busyPauseMs(5), busyPauseMs(9)]).toEqual([500, 1000, 8000, 8000]);
  });

  it('fails a task that finds no client within the wait, naming the task', async () => {
    const registry = new ClientRegistry();
    const started = Date.now();
    const err = await runWithRetries(registry, tasks[0], null, null, { retries: 3, noClientsTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect((err as Error).message).toBe('no client to run task relay-replay:stage-0: no client was connected for 0.2 s');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('continues a resumed arm after its last finished stage, from that stage output, and ends as an undisturbed arm', async () => {
    const dir = tempDir();
    const undisturbed = await run(new FakePool(), join(dir, 'undisturbed'), 0);
    const failing = new FakePool({ fail: (task) => (task.taskId === 'relay-replay:stage-1' ? new TaskError('task_failed', 'boom') : null) });
    const first = await run(failing, join(dir, 'resumed'), 0).catch((e: ArmFailedError) => e);
    const finished = (first as ArmFailedError).finished;
    const saved = await new CheckpointStore(join(dir, 'resumed')).read(arm.name, 0, finished[0].checkpoint.sha256);
    const pool = new FakePool();
    const resumed = await runArm(input, { pool, checkpoints: new CheckpointStore(join(dir, 'resumed')), resume: { stages: finished, ...saved } });

    expect(pool.calls.map((c) => c.task.taskId)).toEqual(['relay-replay:stage-1', 'relay-replay:stage-2']);
    expect(resumed.stages.map((s) => s.metrics)).toEqual(undisturbed.stages.map((s) => s.metrics));
    expect(await checkpointFiles(join(dir, 'resumed'))).toEqual(await checkpointFiles(join(dir, 'undisturbed')));
  });
});
