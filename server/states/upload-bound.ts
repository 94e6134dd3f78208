/**
 * The most a client running a train task may upload, from the task and its arm's plan: its
 * returned state (the check's bound, `ResultCheck.maxStateBytes`) and its replay buffer
 * (what it was handed plus what the task adds to it, or the samples the arm's chunks so far
 * leave in it: ../schedule/replay-ceiling.ts), each as it travels (float16, deflate) and
 * as it decodes (float32). The coordinator refuses an upload announced larger before its
 * first byte, and a compressed one that declares or inflates to more than its decoded bound,
 * instead of allocating a buffer of up to the global cap (`maxBlobBytes`) for any client.
 */
import { REPLAY_FRAMING_BYTES, replayCapacityBytes, replaySampleBytes } from '../../shared/state/replay-size.js';
import type { WireTask } from '../../shared/protocol.js';
import type { ReplayOptions, TrainTask } from '../../shared/tasks.js';
import { decodeTaskBlob, transferOf } from '../../shared/wire/task-wire.js';
import { maxWireBytes, WireError } from '../../shared/wire/wire-encoding.js';
import type { ResultCheck } from './state-check.js';

/** What a train task may upload, on the wire, in bytes (never above the outer cap), and what its state and replay buffer may decode to. */
export interface UploadBound {
  /** The larger of the two: what any one upload may announce (an upload does not say which it is). */
  bytes: number;
  state: number;
  /** 0: the task keeps no replay buffer. */
  replay: number;
  /**
   * The state's bound before its wire encoding (float32 bytes): what a returned state may
   * decode to. The check's bound, else the outer cap.
   */
  decodedState: number;
  /**
   * The replay buffer's bound before its wire encoding (float32 bytes): what a returned
   * buffer may decode to. From the task and the plan, else the outer cap; 0: it keeps none.
   */
  decodedReplay: number;
}

/**
 * The bound of `task`'s uploads. `handedReplayBytes`: the (float32) replay buffer the task
 * was handed; `outerCap`: the global limit of any blob, which also stands in for a bound
 * the task does not determine (a dataset of undeclared image size, a replay share given as
 * a fraction when `replaySamples` is not given). `replaySamples`: the most samples the
 * returned buffer may hold, from the arm's plan (server/schedule/replay-ceiling.ts).
 */
export function taskUploadBound(task: TrainTask, check: ResultCheck, handedReplayBytes: number, outerCap: number, replaySamples?: number): UploadBound {
  const spec = transferOf(task);
  const decodedState = check.maxStateBytes?.(task) ?? outerCap;
  const state = Math.min(outerCap, maxWireBytes(decodedState, spec, 'state'));
  const decodedReplay = maxReplayBytes(task, handedReplayBytes, replaySamples) ?? outerCap;
  const replay = decodedReplay === 0 ? 0 : Math.min(outerCap, maxWireBytes(decodedReplay, spec, 'replay'));
  return { bytes: Math.max(state, replay), state, replay, decodedState, decodedReplay };
}

/**
 * The float32 bytes of replay blob `blobId` that `task` returned as `wire`, at most
 * `decodedReplay` (`UploadBound`) of them: a compressed blob that declares or inflates to
 * more is refused before it is inflated further. Throws `WireError` naming the blob and the bound.
 */
export function decodeReturnedReplay(wire: Uint8Array, task: WireTask, blobId: string, decodedReplay: number): Uint8Array {
  const what = `replay blob ${blobId} of task ${task.taskId}`;
  if (decodedReplay === 0) throw new WireError(`${what}: the task keeps no replay buffer, but one was returned`);
  const bytes = decodeTaskBlob(wire, task, 'replay', blobId, decodedReplay);
  // Sent as plain float32, a blob is its own decoding, and its upload was bounded only by the larger of state and replay.
  if (bytes.byteLength > decodedReplay) throw new WireError(`${what}: ${bytes.byteLength} bytes, more than the ${decodedReplay} it may hold`);
  return bytes;
}

/** The largest float32 replay buffer `task` may return, or null when neither the task nor the plan determines it. */
function maxReplayBytes(task: TrainTask, handedBytes: number, replaySamples: number | undefined): number | null {
  const { replay } = task;
  // No buffer, or a reservoir: its capacity, whatever came before.
  if (replay.mode !== 'replay' || replay.selection === 'reservoir') return replayCapacityBytes(task);
  const sampleBytes = replaySampleBytes(task);
  if (sampleBytes === null) return null;
  // The plan's ceiling holds whatever buffer came in; the handed buffer plus what the task adds, when that is less.
  const planned = replaySamples === undefined ? null : replaySamples * sampleBytes + REPLAY_FRAMING_BYTES;
  const handed = handedBound(replay, handedBytes, task.data.chunks.length, sampleBytes);
  return planned === null || handed === null ? (planned ?? handed) : Math.min(planned, handed);
}

/** The handed buffer plus what the task adds to it, or null when that depends on the chunks' sizes (`fraction`). */
function handedBound(replay: Extract<ReplayOptions, { mode: 'replay' }>, handedBytes: number, chunks: number, sampleBytes: number): number | null {
  if (replay.extend === false) return handedBytes + REPLAY_FRAMING_BYTES;
  // `random`: each chunk trained adds `size` samples (or a fraction of its own, unknown to the task).
  if (replay.size === undefined) return null;
  return handedBytes + replay.size * chunks * sampleBytes + REPLAY_FRAMING_BYTES;
}
