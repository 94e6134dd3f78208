/**
 * The most a client running a train task may upload, from the task and its arm's plan: its
 * returned state (the check's bound, `ResultCheck.maxStateBytes`) and its replay buffer
 * (what it was handed plus what the task adds to it, or the samples the arm's chunks so far
 * leave in it: ../schedule/replay-ceiling.ts), each as it travels (float16, deflate). The
 * coordinator refuses an upload announced larger before its first byte, instead of
 * allocating a buffer of up to the global cap (`maxBlobBytes`) for any client.
 */
import { datasetGeometry, MAX_CLASSES } from '../../shared/dataset-geometry.js';
import type { ReplayOptions, TrainTask } from '../../shared/tasks.js';
import { transferOf } from '../../shared/wire/task-wire.js';
import { maxWireBytes } from '../../shared/wire/wire-encoding.js';
import type { ResultCheck } from './state-check.js';

/**
 * Bytes of a replay buffer beside its images and labels: its msgpack fields, and its class
 * names (up to `MAX_CLASSES` of them, a folder dataset's directory names: 255 bytes each at most).
 */
const REPLAY_FRAMING_BYTES = MAX_CLASSES * 260 + 4096;

/** What a train task may upload, on the wire, in bytes (never above the outer cap), and what its state may decode to. */
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
  const replayRaw = maxReplayBytes(task, handedReplayBytes, replaySamples);
  const replay = replayRaw === 0 ? 0 : Math.min(outerCap, maxWireBytes(replayRaw ?? outerCap, spec, 'replay'));
  return { bytes: Math.max(state, replay), state, replay, decodedState };
}

/** The largest float32 replay buffer `task` may return, or null when neither the task nor the plan determines it. */
function maxReplayBytes(task: TrainTask, handedBytes: number, replaySamples: number | undefined): number | null {
  const { replay } = task;
  if (replay.mode !== 'replay') return 0;
  const { height, width, channels } = datasetGeometry(task.data.dataset);
  if (height === undefined || width === undefined || channels === undefined) return null;
  const sampleBytes = height * width * channels + 1; // the image and its label
  if (replay.selection === 'reservoir') return replay.size === undefined ? null : replay.size * sampleBytes + REPLAY_FRAMING_BYTES;
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
