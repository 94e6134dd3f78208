/**
 * Transfers under a faulty network, with a real client process (fake engine, 2 MB states)
 * behind a TCP proxy: a connection cut mid-transfer, either way, fails the task at once as
 * `disconnected`, nothing half-received is kept, and the client rejoins and serves the
 * next task; a blob damaged in transit, either way, is detected by its hash and sent
 * again, and one damaged on every attempt fails its task without harming the client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { spawnClients, type SpawnedClients } from '../../server/clients/spawn.js';
import { TaskError } from '../../server/net/remote-client.js';
import type { TaskClient } from '../../server/clients/pool.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { encodeFakeState, readFakeState } from '../support/fake-engine.js';
import { logBuffer, type LogBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const fakeClientEntry = fileURLToPath(new URL('../support/fake-client-main.ts', import.meta.url));
const scenario = tinyScenario();
const [firstStage, secondStage] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
/** What stage 0 handed on: 2 MB, four 512 KiB chunks. */
const stageZeroState = encodeFakeState({
  history: [{ arm: 'relay-finetune', stage: 0, chunks: [0], steps: 1, startStep: 0, totalSteps: 1, replayedChunks: [] }],
  padding: new Float32Array(500_000).fill(1),
});

describe('transfers over a faulty network (real client process)', () => {
  let dir: string;
  let coordinator: Coordinator;
  let proxy: TcpProxy;
  let clients: SpawnedClients;
  let log: LogBuffer;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-faults-'));
    log = logBuffer();
    coordinator = await startTestCoordinator({ logger: log.logger, stageTimeoutMs: 30_000, ackTimeoutMs: 10_000 });
    proxy = await startTcpProxy(coordinator.port);
    clients = spawnClients({ count: 1, serverUrl: proxy.url, token: TEST_TOKEN, backend: 'cpu', logDir: dir, entry: fakeClientEntry });
    await coordinator.registry.waitForClients(1, 30_000);
  });
  afterEach(async () => {
    await coordinator.close();
    await clients.stop(2000);
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The one client, once it is registered (again). */
  const worker = async (): Promise<TaskClient> => {
    await coordinator.registry.waitForClients(1, 30_000);
    return coordinator.registry.acquire();
  };
  const failureOf = async (promise: Promise<unknown>): Promise<TaskError> => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskError);
    return err as TaskError;
  };
  /** The rejoined client runs stage 1 on stage 0's state: nothing of the broken transfer lingers. */
  const expectClientServes = async () => {
    const out = await (await worker()).runTask(secondStage, stageZeroState, null);
    expect(readFakeState(out.state!).history.map((h) => h.stage)).toEqual([0, 1]);
  };

  it('a cut while the coordinator uploads the state fails the task at once; the client rejoins', async () => {
    const busy = await worker();
    proxy.faults.cutAfter = { direction: 'toClient', bytes: 1_000_000 };
    const started = Date.now();
    const err = await failureOf(busy.runTask(secondStage, stageZeroState, null));
    expect(err.code).toBe('disconnected');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(proxy.cuts).toBe(1);
    await expectClientServes();
    expect(log.messages(/client left/).length).toBeGreaterThanOrEqual(1);
  });

  it('a cut while the client uploads its result fails the task at once; the client rejoins and serves the next task', async () => {
    const busy = await worker();
    proxy.faults.cutAfter = { direction: 'toServer', bytes: 1_000_000 };
    const err = await failureOf(busy.runTask(firstStage, null, null));
    expect(err.code).toBe('disconnected');
    expect(proxy.cuts).toBe(1);
    await expectClientServes();
  });

  it('a state damaged on its way to the client is sent again, and the intact one is used', async () => {
    proxy.faults.damage = { direction: 'toClient', minBytes: 1000, frames: 1 };
    await expectClientServes();
    expect(proxy.damaged).toBe(1);
    expect(log.messages(/re-sending a damaged upload: .*SHA-256/)).toHaveLength(1);
  });

  it('a result damaged on its way to the coordinator is sent again', async () => {
    proxy.faults.damage = { direction: 'toServer', minBytes: 1000, frames: 1 };
    await expectClientServes();
    expect(proxy.damaged).toBe(1);
    expect(log.messages(/rejected blob:put: .*SHA-256/)).toHaveLength(1);
  });

  it('a result damaged on every attempt fails its task with hash_mismatch, and the client serves the next one', async () => {
    proxy.faults.damage = { direction: 'toServer', minBytes: 1000, frames: Number.POSITIVE_INFINITY };
    const busy = await worker();
    const err = await failureOf(busy.runTask(secondStage, stageZeroState, null));
    expect(err.code).toBe('hash_mismatch');
    expect(err.message).toMatch(/sent 3 times, damaged each time/);
    expect(log.messages(/rejected blob:put: .*SHA-256/)).toHaveLength(3);
    proxy.faults.damage = undefined;
    coordinator.registry.release(busy);
    await expectClientServes();
  });
});
