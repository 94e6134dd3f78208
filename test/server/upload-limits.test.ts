/**
 * What a hostile registered client can make the coordinator take over HTTP (PUT /blobs/<id>):
 * uploads only while it runs a train task (the one kind whose result has blobs), none
 * larger than that task returns (its state's and replay buffer's bounds, a replay share
 * given as a fraction by the plan's ceiling, refused before the first body byte) or than
 * `maxBlobBytes` (the outer cap); a half-sent upload is
 * dropped after the inactivity bound, and its connection closed, while a slow upload that
 * keeps moving for longer than that bound completes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { BLOB_HEADERS } from '../../shared/blob-http.js';
import { PROTOCOL_VERSION, type PlanTask } from '../../shared/protocol.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import type { TaskBounds } from '../../server/clients/pool.js';
import { planArm } from '../../server/schedule/index.js';
import { replayCeilings } from '../../server/schedule/replay-ceiling.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { taskStateSizeRange } from '../../shared/state/task-state-size.js';
import { blobReply, blobRequest, putHeaders, type BlobRequest } from '../support/blob-request.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { logBuffer } from '../support/log-buffer.js';
import { tinyScenario } from '../support/scenario.js';

const scenario = tinyScenario();
const [trainTask] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];
const planTask: PlanTask = { kind: 'plan', taskId: 'stream:plan', seed: 1, dataset: scenario.dataset, stream: scenario.stream };

describe('coordinator upload limits', () => {
  let coordinator: Coordinator | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.close();
    await coordinator?.close();
    coordinator = socket = undefined;
  });

  /** A raw registered client that acknowledges every assignment and never answers; `put` uploads as it. */
  const rawClient = async () => {
    const s = io(coordinator!.url, { auth: { token: TEST_TOKEN, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'] });
    socket = s;
    s.on('task:assign', (_: unknown, ack: (reply: unknown) => void) => ack({ ok: true }));
    expect(await s.timeout(30_000).emitWithAck('hello', { clientId: 'raw', pid: 1, hostname: 'test' })).toMatchObject({ ok: true, clientId: 'raw' });
    const put = (id: string, bytes: Uint8Array, o: BlobRequest = {}) => blobRequest(coordinator!.url, 'PUT', id, { session: s.id!, headers: putHeaders(bytes), body: bytes, expect: true, ...o });
    const head = (id: string) => blobRequest(coordinator!.url, 'HEAD', id, { session: s.id! });
    return { put, head };
  };
  const runs = async (task: TrainTask | PlanTask, bounds?: TaskBounds) => {
    void (await coordinator!.registry.acquire()).runTask(task, null, null, bounds).catch(() => undefined);
    await expect.poll(() => coordinator!.registry.list()[0].holds?.kind).toBe(task.kind);
  };

  it('refuses an upload from a client with no task or a plan task, before its body', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000 });
    const { put } = await rawClient();
    const bytes = new Uint8Array(5000);
    const idle = await put('idle', bytes);
    expect([idle.status, idle.continued, blobReply(idle)]).toEqual([409, false, { ok: false, code: 'not_ready', message: 'blob idle: client raw runs no task: nothing to upload' }]);
    await runs(planTask);
    const plan = await put('plan', bytes);
    expect([plan.continued, blobReply(plan)]).toEqual([false, { ok: false, code: 'not_ready', message: 'blob plan: client raw runs plan task stream:plan, which returns no blobs: nothing to upload' }]);
  });

  it("refuses an upload larger than the running task's state can be, before its body, naming the task, the blob and both sizes", async () => {
    const log = logBuffer();
    coordinator = await startTestCoordinator({ resultCheck: MANIFEST_CHECK, logger: log.logger });
    const { put, head } = await rawClient();
    await runs(trainTask);
    // relay-finetune keeps no replay buffer: the task returns its state only, float32 on the wire.
    const bound = taskStateSizeRange(trainTask).max;
    const over = await put('bloated', new Uint8Array(bound + 1));
    expect([over.status, over.continued]).toEqual([413, false]);
    expect(blobReply(over)).toEqual({
      ok: false,
      code: 'too_large',
      message: `blob bloated: ${bound + 1} bytes announced, but task ${trainTask.taskId} on client raw returns at most ${bound} bytes (its state at most ${bound}, it keeps no replay buffer): refused before its first byte`,
    });
    expect(log.messages(/^rejected blob:put: blob bloated/)).toHaveLength(1);
    expect((await head('bloated')).status).toBe(404); // no buffer was given to it
    // A state of the bound's size is taken (cut here: it need not be a real state).
    const fits = await put('fits', new Uint8Array(bound), { cutAfter: 100 });
    expect(fits.continued).toBe(true);
    await expect.poll(async () => (await head('fits')).headers[BLOB_HEADERS.received]).toBe('100');
  });

  it("refuses a fraction-replay upload one sample over the plan's ceiling, before its body, naming the task, the blob and the sizes; one at the ceiling is taken", async () => {
    const fractional = tinyScenario({ arms: [{ name: 'relay-fraction', mode: 'relay', strategy: { name: 'replay', fraction: 0.25 } }] });
    const chunkSizes = [100, 110, 120];
    const tasks = planArm({ scenario: fractional, arm: fractional.arms[0], chunkSizes }) as TrainTask[];
    const ceilings = replayCeilings(tasks, chunkSizes);
    // 0.25 x 100 = 25 and 0.25 x 110 = 27.5 -> 28 samples, as the client rounds: 53 after the second stage.
    expect(ceilings).toEqual([25, 53, 83]);
    coordinator = await startTestCoordinator({ resultCheck: MANIFEST_CHECK });
    const { put, head } = await rawClient();
    await runs(tasks[1], { replaySamples: 53 });
    // 8x8 gray images and their labels, 65 bytes a sample, beside the buffer's fields and class names; float32 on the wire.
    const sample = 8 * 8 + 1;
    const bound = 53 * sample + 256 * 260 + 4096;
    const state = taskStateSizeRange(tasks[1]).max;
    expect(state).toBeLessThan(bound); // the buffer's bound is what an upload meets
    const over = await put('replay-over', new Uint8Array(bound + sample));
    expect([over.status, over.continued]).toEqual([413, false]);
    expect(blobReply(over)).toEqual({
      ok: false,
      code: 'too_large',
      message: `blob replay-over: ${bound + sample} bytes announced, but task ${tasks[1].taskId} on client raw returns at most ${bound} bytes (its state at most ${state}, its replay buffer at most ${bound}): refused before its first byte`,
    });
    expect((await head('replay-over')).status).toBe(404);
    const fits = await put('replay-fits', new Uint8Array(bound), { cutAfter: 100 });
    expect(fits.continued).toBe(true);
    await expect.poll(async () => (await head('replay-fits')).headers[BLOB_HEADERS.received]).toBe('100');
  });

  it('keeps maxBlobBytes as the outer cap when the task would allow more', async () => {
    coordinator = await startTestCoordinator({ maxBlobBytes: 1000 });
    const { put } = await rawClient();
    await runs(trainTask);
    const huge = await put('huge', new Uint8Array(2000));
    expect([huge.continued, blobReply(huge)]).toEqual([false, { ok: false, code: 'too_large', message: 'blob huge: 2000 bytes exceeds the limit of 1000 bytes' }]);
  });

  it('completes a slow upload that keeps moving past the inactivity bound, and ends a stalled one within it', async () => {
    const log = logBuffer();
    coordinator = await startTestCoordinator({ maxBlobBytes: 1_000_000, blobIdleTimeoutMs: 5000, logger: log.logger });
    const { put, head } = await rawClient();
    await runs(trainTask);
    // 40 pieces, one every 250 ms: about 10 s in all, twice the 5 s bound, never near 5 s without a byte.
    const bytes = new Uint8Array(4000).map((_, i) => (i * 11) & 255);
    const started = Date.now();
    const slow = await put('slow', bytes, { trickle: { bytes: 100, everyMs: 250 } });
    expect([slow.status, blobReply(slow)]).toEqual([200, { ok: true }]);
    expect(Date.now() - started).toBeGreaterThan(5000);
    expect(log.messages(/no byte moved/)).toEqual([]);

    const stalled = await put('stalled', bytes, { stallAfter: 1000 });
    expect(stalled.status).toBe(0); // the coordinator closed the connection without an answer
    expect(log.messages(/no byte moved/)).toEqual(['blob request PUT /blobs/stalled ended: no byte moved for 5000 ms']);
    await expect.poll(() => log.messages(/without bytes arriving/), { timeout: 20_000 }).toEqual(['blob stalled was dropped after 5000 ms without bytes arriving (1000 of 4000 bytes had arrived)']);
    expect((await head('stalled')).status).toBe(404);
  });
});
