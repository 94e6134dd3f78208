import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type ClientHandle } from '../../client/connection.js';
import { encode } from '../../shared/codec.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { TaskError } from '../../server/net/remote-client.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { encodeFakeState, FakeEngine, readFakeState, type FakeEngineOptions } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario();
const [firstStage, secondStage] = planArm({ scenario, arm: scenario.arms[1], chunkSizes: [100, 110, 120] });

describe('RemoteClient over a real coordinator', () => {
  let coordinator: Coordinator | undefined;
  let clients: ClientHandle[] = [];
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await coordinator?.close();
    coordinator = undefined;
  });

  async function setUp(engine: FakeEngineOptions = {}, stageTimeoutMs = 10_000) {
    coordinator = await startTestCoordinator({ stageTimeoutMs });
    const fake = new FakeEngine(engine);
    clients.push(await startClient({ url: coordinator.url, token: TEST_TOKEN, engine: fake, clientId: 'c0' }));
    return { worker: await coordinator.registry.acquire(), fake };
  }

  it('moves a 45 MB state both ways and returns the client metrics', async () => {
    const { worker, fake } = await setUp({ stateBytes: 45_000_000 });
    const stateIn = encodeFakeState({
      history: [{ arm: 'x', stage: 0, chunks: [0], steps: 1, startStep: 0, totalSteps: 1, replayedChunks: [] }],
      padding: new Float32Array(11_250_000).fill(1),
    });
    const replayIn = encode({ chunks: [0] });
    const out = await worker.runTask(secondStage, stateIn, replayIn);
    expect(out.clientId).toBe('c0');
    expect(out.metrics.steps).toBe(secondStage.steps);
    expect(out.metrics.eval?.knnTop1).toBeGreaterThan(0);
    expect(out.state!.byteLength).toBeGreaterThan(45_000_000);
    expect(readFakeState(out.state!).history.map((h) => h.stage)).toEqual([0, 1]);
    expect(out.replay).not.toBeNull();
    expect(out.handoffSeconds).toBeGreaterThan(0);
    expect(fake.calls[0].stateIn?.padding.length).toBe(11_250_000);
    expect(fake.calls[0].replayIn).toEqual([0]);
  });

  it('hands the engine the state as its own, to write the next one into', async () => {
    const { worker, fake } = await setUp();
    await worker.runTask(firstStage, null, null);
    expect(fake.calls.map((c) => c.inputs)).toEqual([{ ownsState: true }]);
  });

  it('reports an engine failure as a TaskError with code task_failed', async () => {
    const { worker } = await setUp({ failOn: (t: TrainTask) => t.stage === 0 });
    const err = await worker.runTask(firstStage, null, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).code).toBe('task_failed');
    expect((err as TaskError).message).toMatch(/fake failure in relay-replay:stage-0/);
    coordinator!.registry.release(worker);
    // The client is still usable after a failed task.
    const ok = await (await coordinator!.registry.acquire()).runTask(secondStage, null, null);
    expect(ok.metrics.steps).toBe(secondStage.steps);
  });

  it('rejects at once when the client disconnects mid-task', async () => {
    const { worker } = await setUp({ trainDelayMs: 5000 });
    const running = worker.runTask(firstStage, null, null);
    setTimeout(() => void clients[0].close(), 200);
    const started = Date.now();
    const err = await running.catch((e: unknown) => e);
    expect((err as TaskError).code).toBe('disconnected');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(coordinator!.registry.size).toBe(0);
  });

  it('gives up on a client after the stage timeout', async () => {
    const { worker } = await setUp({ trainDelayMs: 3000 }, 300);
    const err = await worker.runTask(firstStage, null, null).catch((e: unknown) => e);
    expect((err as TaskError).code).toBe('timeout');
    expect((err as TaskError).message).toMatch(/no result within 0.3 s/);
    await expect(clients[0].done).resolves.toBeUndefined(); // the coordinator ended its session
  });
});
