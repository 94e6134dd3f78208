/**
 * A float16 state through the coordinator (server/net/remote-client.ts): its wire arrives in
 * memory readied while the client trained (about half the state's float32 bound), it is
 * expanded to float32 for the check, and handed on to the next client as the very wire
 * that arrived (server/states/arrived-wire.ts), not halved again. The wire used here keeps
 * one array in float32 that a halving would halve, so that sending what arrived and
 * halving again give different bytes.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobInbox } from '../../shared/blob-inbox.js';
import type { BufferShelf } from '../../shared/buffer-shelf.js';
import { silentLogger } from '../../shared/log.js';
import type { TrainTask } from '../../shared/tasks.js';
import type { TransferSpec } from '../../shared/wire/transfer-spec.js';
import { BlobOutbox } from '../../server/net/blob-outbox.js';
import { RemoteClient, type CoordinatorSocket } from '../../server/net/remote-client.js';
import { planArm } from '../../server/schedule/index.js';
import { MANIFEST_CHECK } from '../../server/states/state-check.js';
import { taskUploadBound } from '../../server/states/upload-bound.js';
import { decodeState, encodeState, type ModelState } from '../../shared/state/model-state.js';
import { DEFAULT_MAX_BLOB_BYTES } from '../../shared/transfer.js';
import { toFloat16Bits } from '../../shared/wire/float16.js';
import { encodeWire, expectedWireBytes, WIRE_HEADER_BYTES } from '../../shared/wire/wire-encoding.js';
import { fittingState } from '../support/fitting-state.js';
import { tinyScenario } from '../support/scenario.js';

const FLOAT16 = { encoding: 'float16', compression: 'none' } as const;
// Wider than the tiny model: a state of about 2 MB, so that its wire fills most of the memory readied for it.
const model = { widths: [64, 128], blocksPerStage: 1, projectionHidden: 16, projectionDim: 8 };
const scenario = tinyScenario({ transfer: FLOAT16, model, arms: [{ name: 'relay', mode: 'relay' }] });
const [first, second] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];
const METRICS = { steps: 1, lossFirst: 1, lossLast: 1, trainSeconds: 1, imagesPerSecond: 1, samples: 1, replaySamplesUsed: 0, dataWaitSeconds: 0 };

/** A connection that acknowledges everything, and keeps the bytes of each blob offered to the client. */
function recordingSocket(outbox: BlobOutbox, offered: Uint8Array[]): CoordinatorSocket {
  const emitWithAck = async (event: string, payload: { id?: string }) => {
    if (event === 'blob:offer') offered.push(outbox.get(payload.id!)!.bytes);
    return { ok: true };
  };
  return { timeout: () => ({ emitWithAck }) } as unknown as CoordinatorSocket;
}

function client(id: string, offered: Uint8Array[] = []) {
  const inbox = new BlobInbox();
  const outbox = new BlobOutbox();
  const remote = new RemoteClient(id, recordingSocket(outbox, offered), inbox, outbox, { stageTimeoutMs: 60_000, ackTimeoutMs: 5_000, resultCheck: MANIFEST_CHECK, logger: silentLogger() });
  return { inbox, remote, offered };
}

/** The float16 wire of `state` with every array halved but its first online one, kept float32 (a sender may keep any). */
function wireKeepingOneFloat32(state: ModelState): Uint8Array {
  const [kept] = Object.keys(state.methodState.online);
  const halved = (arrays: ModelState['optimizer']) =>
    arrays && Object.fromEntries(Object.entries(arrays).map(([name, a]) => [name, name === kept && arrays === state.methodState.online ? a : { shape: a.shape, values: toFloat16Bits(a.values) }]));
  const methodState = Object.fromEntries(Object.entries(state.methodState).map(([part, arrays]) => [part, part === 'queue' ? arrays : halved(arrays)]));
  const payload = encodeState({ ...state, methodState, optimizer: halved(state.optimizer) } as unknown as ModelState);
  // The header encodeWire writes, taken from a wire it made.
  const header = encodeWire(encodeState(state), FLOAT16, 'state').slice(0, WIRE_HEADER_BYTES);
  new DataView(header.buffer).setUint32(8, payload.byteLength, true);
  const wire = new Uint8Array(WIRE_HEADER_BYTES + payload.byteLength);
  wire.set(header);
  wire.set(payload, WIRE_HEADER_BYTES);
  return wire;
}

describe('a float16 state through the coordinator', () => {
  it('arrives in readied memory, is checked as float32, and goes on to the next client as it arrived', async () => {
    const sender = client('sender');
    const outcome = sender.remote.runTask(first, null, null);
    const bound = taskUploadBound(first, MANIFEST_CHECK, 0, DEFAULT_MAX_BLOB_BYTES);
    const expected = expectedWireBytes(bound.decodedState, FLOAT16, 'state')!;
    expect(expected).toBeLessThan(bound.decodedState * 0.6);
    await expect.poll(() => sender.inbox.spareBytes, { timeout: 10_000 }).toBe(expected);

    const state = fittingState(first);
    const wire = wireKeepingOneFloat32(state);
    const sha256 = createHash('sha256').update(wire).digest('hex');
    expect(sender.inbox.open({ id: 'up', size: wire.byteLength, sha256 })).toEqual({ ok: true });
    expect(sender.inbox.spareBytes).toBe(0); // the upload took the readied memory
    expect(sender.inbox.append('up', wire, 0)).toEqual({ ok: true });
    expect(sender.inbox.finish('up')).toEqual({ ok: true });
    expect(sender.remote.handleResult({ taskId: first.taskId, ok: true, metrics: METRICS, stateBlobId: 'up', replayBlobId: null })).toEqual({ ok: true });
    const returned = (await outcome).state!;
    // float32 again, every value as it was (0.5 is a half).
    expect(Buffer.from(returned).equals(encodeState(state))).toBe(true);
    expect(decodeState(returned).methodState.online).toEqual(state.methodState.online);

    const receiver = client('receiver');
    const handedOn = receiver.remote.runTask(second, returned, null);
    await expect.poll(() => receiver.offered.length, { timeout: 10_000 }).toBe(1);
    expect(Buffer.from(receiver.offered[0]).equals(wire)).toBe(true);
    // Halving the state again would have halved the array the sender kept.
    expect(encodeWire(returned, FLOAT16, 'state').byteLength).toBeLessThan(wire.byteLength);
    receiver.remote.disconnected('test over');
    await handedOn.catch(() => undefined);
  });

  it('is expanded into float32 memory readied while the client trained, deflated or not', async () => {
    for (const transfer of [FLOAT16, { encoding: 'float16', compression: 'deflate' }] as TransferSpec[]) {
      const withTransfer = tinyScenario({ transfer, model, arms: [{ name: 'relay', mode: 'relay' }] });
      const [task] = planArm({ scenario: withTransfer, arm: withTransfer.arms[0], chunkSizes: [100, 110, 120] }) as TrainTask[];
      const sender = client('sender');
      const outcome = sender.remote.runTask(task, null, null);
      const { decodedState } = taskUploadBound(task, MANIFEST_CHECK, 0, DEFAULT_MAX_BLOB_BYTES);
      // Private: the shelf the result's expansion takes its memory from, and that memory.
      const expansion = (sender.remote as unknown as { expansion: BufferShelf }).expansion;
      await expect.poll(() => expansion.spareBytes, { timeout: 10_000 }).toBe(decodedState);
      const readied = (expansion as unknown as { spare: Uint8Array }).spare.buffer;
      const state = encodeState(fittingState(task));
      const wire = encodeWire(state, transfer, 'state');
      const sha256 = createHash('sha256').update(wire).digest('hex');
      expect(sender.inbox.open({ id: 'up', size: wire.byteLength, sha256 })).toEqual({ ok: true });
      expect(sender.inbox.append('up', wire, 0)).toEqual({ ok: true });
      expect(sender.inbox.finish('up')).toEqual({ ok: true });
      expect(sender.remote.handleResult({ taskId: task.taskId, ok: true, metrics: METRICS, stateBlobId: 'up', replayBlobId: null })).toEqual({ ok: true });
      const returned = (await outcome).state!;
      expect(Buffer.from(returned).equals(state)).toBe(true); // fittingState's values are halves
      expect(returned.buffer).toBe(readied);
      expect(expansion.spareBytes).toBe(0);
    }
  });

  it('a state the coordinator did not receive as float16 is halved', async () => {
    const state = encodeState(fittingState(second));
    const receiver = client('receiver');
    const handedOn = receiver.remote.runTask(second, state, null);
    await expect.poll(() => receiver.offered.length, { timeout: 10_000 }).toBe(1);
    expect(Buffer.from(receiver.offered[0]).equals(encodeWire(state, FLOAT16, 'state'))).toBe(true);
    receiver.remote.disconnected('test over');
    await handedOn.catch(() => undefined);
  });
});
