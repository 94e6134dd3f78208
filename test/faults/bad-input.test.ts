/**
 * Bad input at the coordinator's door, while a real client process runs a task: a wrong or
 * missing token, another protocol version, an unknown event, payloads that fail
 * validation, hostile blob requests and an oversized message are each refused with a clear error and a log line,
 * and neither the registry nor the running task notices. No token is ever logged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOB_HEADERS } from '../../shared/blob-http.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { spawnClients, type SpawnedClients } from '../../server/clients/spawn.js';
import type { TaskOutcome } from '../../server/clients/pool.js';
import { blobReply, blobRequest, putHeaders } from '../support/blob-request.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { encodeFakeState, readFakeState } from '../support/fake-engine.js';
import { logBuffer, type LogBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';

const fakeClientEntry = fileURLToPath(new URL('../support/fake-client-main.ts', import.meta.url));
const scenario = tinyScenario();
const [, secondStage] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
const stageZeroState = encodeFakeState({
  history: [{ arm: 'relay-finetune', stage: 0, chunks: [0], steps: 1, startStep: 0, totalSteps: 1, replayedChunks: [] }],
  padding: new Float32Array(1000).fill(1),
});
const WRONG_TOKEN = 'not-the-token-4242';

type ConnectError = Error & { data?: { code?: string } };

describe('bad input while a real client process trains', () => {
  let dir: string;
  let log: LogBuffer;
  let coordinator: Coordinator;
  let clients: SpawnedClients;
  let running: Promise<TaskOutcome<unknown>>;
  let settled = false;
  const sockets: Socket[] = [];

  /** A raw socket.io connection with `auth`: connected, or the connect_error. */
  const connect = (auth: Record<string, unknown>): Promise<{ socket: Socket; error?: ConnectError }> => {
    const socket = io(coordinator.url, { auth, reconnection: false, transports: ['websocket'] });
    sockets.push(socket);
    return new Promise((resolve) => {
      socket.once('connect', () => resolve({ socket }));
      socket.once('connect_error', (error: ConnectError) => resolve({ socket, error }));
    });
  };
  const validAuth = { token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION };
  const ask = (socket: Socket, event: string, ...args: unknown[]) => socket.timeout(3000).emitWithAck(event, ...args);
  /** The registry as the run sees it: the training client, busy. */
  const expectRegistryUnharmed = () => expect(coordinator.registry.list().map((c) => `${c.id} ${c.busy ? 'busy' : 'idle'}`)).toEqual(['client-0 busy']);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-bad-input-'));
    log = logBuffer('trace');
    coordinator = await startTestCoordinator({ logger: log.logger });
    clients = spawnClients({ count: 1, serverUrl: coordinator.url, token: TEST_TOKEN, backend: 'cpu', logDir: dir, entry: fakeClientEntry, env: { STREAMSSL_FAKE_TRAIN_DELAY_MS: '5000' } });
    await coordinator.registry.waitForClients(1, 30_000);
    const worker = await coordinator.registry.acquire();
    running = worker.runTask(secondStage, stageZeroState, null);
    void running.finally(() => (settled = true)).catch(() => undefined);
  });
  afterAll(async () => {
    sockets.splice(0).forEach((s) => s.close());
    await coordinator.close();
    await clients.stop(2000);
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a wrong token, a missing token and another protocol version at the handshake', async () => {
    const wrong = await connect({ token: WRONG_TOKEN, protocolVersion: PROTOCOL_VERSION });
    expect([wrong.error?.data?.code, wrong.error?.message]).toEqual(['unauthorized', 'invalid token']);
    const missing = await connect({ protocolVersion: PROTOCOL_VERSION });
    expect(missing.error?.data?.code).toBe('bad_request');
    expect(missing.error?.message).toMatch(/^handshake auth must be \{token, protocolVersion, clientId\?\}: token: /);
    const future = await connect({ token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION + 1 });
    expect(future.error?.data?.code).toBe('version_mismatch');
    expect(future.error?.message).toBe(`protocol version mismatch: coordinator speaks ${PROTOCOL_VERSION}, client ${PROTOCOL_VERSION + 1}; update the older side`);
    expect(log.messages(/^connection rejected: /)).toEqual([
      'connection rejected: invalid token',
      expect.stringMatching(/^connection rejected: handshake auth must be/),
      expect.stringMatching(/^connection rejected: protocol version mismatch/),
    ]);
    expectRegistryUnharmed();
  });

  it('refuses an unknown event and payloads that fail validation, before and after hello', async () => {
    const { socket, error } = await connect(validAuth);
    expect(error).toBeUndefined();
    expect(await ask(socket, 'state:overwrite', { weights: [1, 2, 3] })).toEqual({ ok: false, code: 'unknown_event', message: 'unknown event "state:overwrite"' });
    expect(await ask(socket, 'task:result', { taskId: secondStage.taskId, ok: true, metrics: {}, stateBlobId: null, replayBlobId: null })).toMatchObject({ ok: false, code: 'not_ready' });
    expect(await ask(socket, 'hello', { clientId: 'client-0; rm -rf /', pid: -1, hostname: 7 })).toMatchObject({ ok: false, code: 'bad_request', message: expect.stringMatching(/^hello: clientId: /) });
    expect(await ask(socket, 'hello', { clientId: 'intruder', pid: 1, hostname: 'elsewhere' })).toEqual({ ok: true, clientId: 'intruder', heartbeatSeconds: 300 });
    // A registered client may not answer for a task it was not given, nor send garbage.
    expect(await ask(socket, 'task:result', { taskId: secondStage.taskId, ok: false, code: 'internal', message: 'x' })).toMatchObject({ ok: false, code: 'unknown_task' });
    expect(await ask(socket, 'task:result', 'garbage')).toMatchObject({ ok: false, code: 'bad_request' });
    // Blob bytes go over HTTP: hostile blob requests of this registered client, beside the task.
    const put = (id: string, headers: Record<string, string>, token?: string) => blobRequest(coordinator.url, 'PUT', id, { session: socket.id!, headers, body: new Uint8Array(100), expect: true, ...(token ? { token } : {}) });
    const unauthenticated = await put('b', putHeaders(new Uint8Array(100)), WRONG_TOKEN);
    expect([unauthenticated.status, unauthenticated.continued]).toEqual([401, false]);
    expect(blobReply(await put('b', { ...putHeaders(new Uint8Array(100)), [BLOB_HEADERS.size]: '-5' }))).toMatchObject({ ok: false, code: 'bad_request' });
    expect(blobReply(await put('b', putHeaders(new Uint8Array(100))))).toEqual({ ok: false, code: 'not_ready', message: 'blob b: client intruder runs no task: nothing to upload' });
    socket.emit('task:progress', { taskId: secondStage.taskId, step: 'all', steps: -1, loss: 'low' });
    await expect.poll(() => log.messages(/invalid task:progress ignored/)).toHaveLength(1);
    expect(log.messages(/^unknown event rejected$/)).toHaveLength(1);
    expect(log.messages(/^rejected (hello|task:result|blob:put): /)).toHaveLength(6);
    socket.close();
    await expect.poll(() => coordinator.registry.list().map((c) => c.id)).toEqual(['client-0']);
    expectRegistryUnharmed();
  });

  it('cuts off a client that sends a message over the size limit, saying so in the log', async () => {
    const { socket } = await connect(validAuth);
    expect(await ask(socket, 'hello', { clientId: 'bulky', pid: 1, hostname: 'elsewhere' })).toEqual({ ok: true, clientId: 'bulky', heartbeatSeconds: 300 });
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    socket.emit('task:progress', { taskId: 'x', data: Buffer.alloc(2_000_000) });
    expect(await gone).toBe('transport close');
    await expect.poll(() => log.messages(/over the limit/)).toEqual(['connection closed: the client sent a message over the limit of 1000000 bytes']);
    await expect.poll(() => coordinator.registry.list().map((c) => c.id)).toEqual(['client-0']);
    expectRegistryUnharmed();
  });

  it('the task that ran meanwhile finishes as if nothing happened, and no token was logged', async () => {
    expect(settled).toBe(false); // every bad input above arrived while it ran
    const outcome = await running;
    expect(outcome.clientId).toBe('client-0');
    expect(readFakeState(outcome.state!).history.map((h) => h.stage)).toEqual([0, 1]);
    expect(log.text()).not.toContain(TEST_TOKEN);
    expect(log.text()).not.toContain(WRONG_TOKEN);
  });
});
