/**
 * Clients that stop answering cost neither retries nor the honest clients' turn: a client
 * that does not acknowledge its task costs no retry, one that is unresponsive twice in a
 * row is set aside, and a task that lost a client goes to the one with the best record.
 */
import { describe, expect, it } from 'vitest';
import { evalTaskFor } from '../../server/schedule/eval-task.js';
import { ClientRegistry, type ClientInfo } from '../../server/clients/registry.js';
import { runWithRetries } from '../../server/run/retry.js';
import { TaskError } from '../../server/net/remote-client.js';
import type { TaskOutcome, TaskClient } from '../../server/clients/pool.js';
import type { EvalMetrics } from '../../shared/tasks.js';
import { tinyScenario } from '../support/scenario.js';

const info: ClientInfo = { pid: 1, hostname: 'here', address: '127.0.0.1' };
const task = evalTaskFor(tinyScenario(), 'eval-0');
const metrics: EvalMetrics = { knnTop1: 0.5, linearTop1: 0.5, seconds: 0 };

/** Registers a client whose tasks are answered by `run`; counts its tasks in `calls`. */
function join(registry: ClientRegistry, id: string, run: () => Promise<TaskOutcome<EvalMetrics>>, calls: string[]): void {
  registry.add(id, info, (assigned): TaskClient => ({
    id: assigned,
    runTask: (() => {
      calls.push(assigned);
      return run();
    }) as TaskClient['runTask'],
  }));
}

const mute = () => Promise.reject(new TaskError('timeout', 'task:assign not acknowledged in time', true));
const silentAfterAccepting = () => Promise.reject(new TaskError('timeout', 'showed no progress for 1 s'));
const honest = () => Promise.resolve({ metrics, state: null, replay: null, handoffSeconds: 0, clientId: 'honest' });

describe('unresponsive clients', () => {
  it('three mute clients, idle longer than an honest one, cost no retry: the honest client runs the task', async () => {
    const registry = new ClientRegistry();
    const calls: string[] = [];
    for (const id of ['mute-1', 'mute-2', 'mute-3']) join(registry, id, mute, calls);
    join(registry, 'honest', honest, calls);
    const outcome = await runWithRetries(registry, task, null, null, { retries: 0 });
    expect(outcome.metrics).toEqual(metrics);
    expect(calls).toEqual(['mute-1', 'mute-2', 'mute-3', 'honest']);
  });

  it('a client unresponsive twice in a row is set aside while another client could serve, and used only when none could', async () => {
    const registry = new ClientRegistry();
    const calls: string[] = [];
    join(registry, 'stuck', silentAfterAccepting, calls);
    join(registry, 'good', honest, calls);
    // A first task: the stuck client (idle longest) is unresponsive, the retry goes to the good one.
    await runWithRetries(registry, task, null, null, { retries: 1 });
    expect(calls).toEqual(['stuck', 'good']);
    // With one strike it comes after clean clients; while the good one is busy it is unresponsive again.
    const busy = await registry.acquire();
    expect(busy.id).toBe('good');
    await expect(runWithRetries(registry, task, null, null, { retries: 0 })).rejects.toThrow(/gave up after 1 attempt/);
    registry.release(busy);
    expect(registry.list().find((c) => c.id === 'stuck')?.quarantined).toBe(true);
    // The good client is busy: the next task waits for it rather than go to the quarantined one.
    const lease = await registry.acquire();
    expect(lease.id).toBe('good');
    const waiting = registry.acquire();
    const early = await Promise.race([waiting.then((w) => w.id), new Promise((resolve) => setTimeout(() => resolve('waiting'), 100))]);
    expect(early).toBe('waiting');
    registry.release(lease);
    registry.release(await waiting);
    // With the good client gone, the quarantined one is all there is.
    registry.remove('good');
    const last = await registry.acquire();
    expect(last.id).toBe('stuck');
  });

  it('a retry goes to the client with finished tasks rather than to an untried one idle longer', async () => {
    const registry = new ClientRegistry();
    const calls: string[] = [];
    join(registry, 'stuck', silentAfterAccepting, calls);
    join(registry, 'untried', silentAfterAccepting, calls);
    join(registry, 'proven', honest, calls);
    const proven = await registry.acquire();
    expect(proven.id).toBe('stuck');
    registry.release(proven, 'failed');
    // Give 'proven' a finished task so that it has a record.
    const byId = async (id: string) => {
      const leases: TaskClient[] = [];
      for (;;) {
        const w = await registry.acquire();
        if (w.id === id) {
          leases.forEach((l) => registry.release(l, 'failed'));
          return w;
        }
        leases.push(w);
      }
    };
    registry.release(await byId('proven'), 'done');
    calls.length = 0;
    await runWithRetries(registry, task, null, null, { retries: 1 });
    expect(calls[0]).not.toBe('proven');
    expect(calls[1]).toBe('proven');
  });

  it('gives up after a bounded number of unaccepted attempts when every client is mute', async () => {
    const registry = new ClientRegistry();
    const calls: string[] = [];
    join(registry, 'mute', mute, calls);
    await expect(runWithRetries(registry, task, null, null, { retries: 1 })).rejects.toThrow(/gave up after 2 attempt/);
    expect(calls.length).toBe(10);
  });
});

describe('liveness by progress', () => {
  /** A coordinator with `progressTimeoutMs`, one client of a fake engine joined to it, and the first stage of a relay. */
  async function joinedClient(progressTimeoutMs: number, clientId: string, trainDelayMs?: number) {
    const { startClient } = await import('../../client/connection.js');
    const { startTestCoordinator, TEST_TOKEN } = await import('../support/coordinator.js');
    const { FakeEngine } = await import('../support/fake-engine.js');
    const { planArm } = await import('../../server/schedule/index.js');
    const scenario = tinyScenario();
    const [first] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
    const coordinator = await startTestCoordinator({ progressTimeoutMs });
    const client = await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: new FakeEngine({ trainDelayMs }), clientId, reconnectionAttempts: 0 });
    return { first, coordinator, client };
  }

  it('a client that accepts a task and then shows no progress is presumed stuck: its task fails as a timeout and its session ends', async () => {
    const { first, coordinator, client } = await joinedClient(800, 'silent', 20_000);
    try {
      const worker = await coordinator.registry.acquire();
      const started = Date.now();
      const err = await worker.runTask(first, null, null).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).code).toBe('timeout');
      expect((err as TaskError).message).toMatch(/client silent: task .* showed no progress for 0.8 s/);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect.poll(() => coordinator.registry.size).toBe(0);
    } finally {
      await client.close();
      await coordinator.close();
    }
  });

  it('a client whose task finished is not presumed stuck afterwards, however long it waits for the next', async () => {
    const { first, coordinator, client } = await joinedClient(300, 'idle');
    try {
      const worker = await coordinator.registry.acquire();
      await worker.runTask(first, null, null);
      coordinator.registry.release(worker);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(coordinator.registry.list().map((c) => c.id)).toEqual(['idle']);
    } finally {
      await client.close();
      await coordinator.close();
    }
  });
});
