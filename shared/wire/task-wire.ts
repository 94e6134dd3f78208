/**
 * A task's blobs on the wire: both ends encode what they send and decode what they receive
 * by the task's `transfer` (absent: float32, uncompressed, the bytes as they are), so that
 * everything else (the engine, the coordinator's checks, checkpoints) sees float32 states.
 */
import type { WireTask } from '../protocol.js';
import type { ModelState } from '../state/model-state.js';
import { decodeWireValue, encodeWire, type BlobKind, type DecodedWire } from './wire-encoding.js';
import { DEFAULT_TRANSFER, type TransferSpec } from './transfer-spec.js';

/** How `task`'s blobs travel. */
export function transferOf(task: WireTask): TransferSpec {
  return (task.kind !== 'plan' && task.transfer) || DEFAULT_TRANSFER;
}

/** The wire bytes of `task`'s float32 blob `bytes`; `decoded`: the state they hold, when the caller has it. */
export function encodeTaskBlob(bytes: Uint8Array, task: WireTask, kind: BlobKind, decoded?: ModelState): Uint8Array {
  return encodeWire(bytes, transferOf(task), kind, decoded);
}

/**
 * The float32 bytes of `task`'s blob `blobId` that arrived as `wire`, at most `maxBytes`
 * decoded; throws `WireError` naming the blob and the task.
 */
export function decodeTaskBlob(wire: Uint8Array, task: WireTask, kind: BlobKind, blobId: string, maxBytes: number): Uint8Array {
  return decodeTaskBlobValue(wire, task, kind, blobId, maxBytes).bytes;
}

/** `decodeTaskBlob`, with the decoded value of the bytes where decoding made it anyway (float16 states). */
export function decodeTaskBlobValue(wire: Uint8Array, task: WireTask, kind: BlobKind, blobId: string, maxBytes: number): DecodedWire {
  return decodeWireValue(wire, transferOf(task), { kind, what: `${kind} blob ${blobId} of task ${task.taskId}`, maxBytes });
}
