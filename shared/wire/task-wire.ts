/**
 * A task's blobs on the wire: both ends encode what they send and decode what they receive
 * by the task's `transfer` (absent: float32, uncompressed, the bytes as they are), so that
 * everything else (the engine, the coordinator's checks, checkpoints) sees float32 states.
 */
import type { WireTask } from '../protocol.js';
import { decodeWireValue, encodeWire, type BlobKind, type DecodedWire, type EncodeWireOptions } from './wire-encoding.js';
import { DEFAULT_TRANSFER, type TransferSpec } from './transfer-spec.js';

/** How `task`'s blobs travel. */
export function transferOf(task: WireTask): TransferSpec {
  return (task.kind !== 'plan' && task.transfer) || DEFAULT_TRANSFER;
}

/** The wire bytes of `task`'s float32 blob `bytes` (see `EncodeWireOptions` for `o`). */
export function encodeTaskBlob(bytes: Uint8Array, task: WireTask, kind: BlobKind, o: EncodeWireOptions = {}): Uint8Array {
  return encodeWire(bytes, transferOf(task), kind, o);
}

/**
 * The float32 bytes of `task`'s blob `blobId` that arrived as `wire`, at most `maxBytes`
 * decoded; throws `WireError` naming the blob and the task. `into`: see `decodeTaskBlobValue`.
 */
export function decodeTaskBlob(wire: Uint8Array, task: WireTask, kind: BlobKind, blobId: string, maxBytes: number, into?: Uint8Array): Uint8Array {
  return decodeTaskBlobValue(wire, task, kind, blobId, maxBytes, into).bytes;
}

/**
 * `decodeTaskBlob`, with the decoded value of the bytes where decoding made it anyway
 * (float16 states); `into`: memory a float16 state may be expanded into (`DecodeWireOptions`).
 */
export function decodeTaskBlobValue(wire: Uint8Array, task: WireTask, kind: BlobKind, blobId: string, maxBytes: number, into?: Uint8Array): DecodedWire {
  return decodeWireValue(wire, transferOf(task), { kind, what: `${kind} blob ${blobId} of task ${task.taskId}`, maxBytes, ...(into ? { into } : {}) });
}
