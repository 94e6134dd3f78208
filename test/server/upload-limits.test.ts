/**
 * The coordinator takes uploads only from a client running a train task (the one kind
 * whose result has blobs): an idle client, or one planning the stream, is given no buffer
 * at all. And a half-sent upload is dropped after the inactivity timeout (issue 12).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, type PlanTask } from '../../shared/protocol.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { logBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario();
const [trainTask] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
const planTask: PlanTask = { kind: 'plan', taskId: 'stream:plan', seed: 1, dataset: scenario.dataset, stream: scenario.stream };
const begin = (id: string, size: number) => ({ id, size, sha256: '0'.repeat(64), chunkSize: 1000 });

describe('coordinator upload limits', () => {
  let coordinator: Coordinator | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.close();
    await coordinator?.close();
    coordinator = socket = undefined;
  });

  /** A raw registered client that acknowledges every assignment and never answers. */
  const rawClient = async () => {
    const s = io(coordinator!.url, { auth: { token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'] });
    socket = s;
    s.on('task:assign', (_: unknown, ack: (reply: unknown) => void) => ack({ ok: true }));
    expect(await s.timeout(5000).emitWithAck('hello', { clientId: 'raw', pid: 1, hostname: 'test' })).toEqual({ ok: true, clientId: 'raw', heartbeatSeconds: 300 });
    const ask = (event: string, payload: unknown) => s.timeout(5000).emitWithAck(event, payload) as Promise<unknown>;
    return { ask };
  };

  it('refuses an upload from a client with no train task, and takes one during a train task', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { ask } = await rawClient();
    expect(await ask('blob:begin', begin('idle', 5000))).toEqual({ ok: false, code: 'not_ready', message: 'blob:begin: client raw runs no task: nothing to upload' });

    const client = await coordinator.registry.acquire();
    void client.runTask(planTask, null, null).catch(() => undefined);
    await expect.poll(() => coordinator!.registry.list()[0].holds?.kind).toBe('plan');
    await expect.poll(() => ask('blob:begin', begin('plan', 5000))).toEqual({
      ok: false,
      code: 'not_ready',
      message: 'blob:begin: client raw runs plan task stream:plan, which returns no blobs: nothing to upload',
    });
    socket!.close();
  });

  it('takes a train task result within maxBlobBytes and drops a half-sent one after blobIdleTimeoutMs', async () => {
    const log = logBuffer();
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000, blobIdleTimeoutMs: 300, logger: log.logger });
    const { ask } = await rawClient();
    const client = await coordinator.registry.acquire();
    void client.runTask(trainTask, null, null).catch(() => undefined);
    await expect.poll(() => ask('blob:begin', begin('state', 5000))).toEqual({ ok: true });
    expect(await ask('blob:begin', begin('huge', 2_000_000))).toMatchObject({ ok: false, code: 'too_large', message: 'blob:begin: 2000000 bytes exceeds the limit of 1000000 bytes' });
    expect(await ask('blob:chunk', { id: 'state', index: 0, data: Buffer.alloc(1000) })).toEqual({ ok: true });
    await expect.poll(() => log.messages(/without a chunk/), { timeout: 10_000 }).toEqual(['blob state was dropped after 300 ms without a chunk (1000 of 5000 bytes had arrived)']);
    expect(await ask('blob:chunk', { id: 'state', index: 1, data: Buffer.alloc(1000) })).toMatchObject({ ok: false, code: 'unknown_blob', message: expect.stringMatching(/dropped after 300 ms/) });
  });
});
