/** The JSON report of `streamssl bench`: one result type per measurement. */
import type { EvalMeasurement } from './eval-measure.js';
import type { Measurement } from './moco-measure.js';
import type { OverheadResult } from './overhead.js';
import type { StartupResult } from './startup.js';
import type { TorchResult } from './torch-reference.js';
import type { BatchNormKernel, ConvAlgorithm } from '../shared/scenario.js';

/** One MoCo throughput measurement (one configuration, one thread count, one process). */
export type MocoResult = Measurement & {
  config: string;
  widths: number[];
  batch: number;
  threads: number;
  /** Threads the backend says it computes on (`BackendChoice.threads`); may differ from `threads`. */
  threadsActual: number;
  /** Training batch norm measured (a scenario's `model.batchNorm`). */
  batchNorm: BatchNormKernel;
  /** Convolutions measured (a scenario's `model.convolutions`); absent in older reports (direct). */
  convolutions?: ConvAlgorithm;
  backend: string;
  backendReason: string;
  /** Peak resident memory of the measuring process (VmHWM, MiB): one client training this configuration; null off Linux. Absent in older reports. */
  peakRssMb?: number | null;
  /** The same model's evaluation in the same process, after the training measurement (absent with `--eval-seconds 0` and in older reports). */
  eval?: EvalMeasurement;
  /** PyTorch's step of the same row, measured right after this one (absent without PyTorch or with `--torch none`). */
  torch?: TorchResult;
  /** With `--rounds` above 1: every round's figures, in order; the row is the median round's. */
  rounds?: MocoRound[];
};

/** One round of a MoCo row measured over several. */
export interface MocoRound {
  imgPerSec: number;
  /** PyTorch's, measured right after (absent without PyTorch). */
  torchImgPerSec?: number;
}

/** A thread count's img/s over the first thread count's, for one configuration, within each round. */
export interface ThreadScaling {
  config: string;
  threads: number;
  /** The first thread count measured (`--threads`' first). */
  baseThreads: number;
  ratios: number[];
  /** PyTorch's, when every row of both has it. */
  torchRatios?: number[];
  /**
   * `threads` one-thread copies of the row at once over the one-thread row, per round
   * (./moco-copies.ts): what `threads` cores give here when the work splits perfectly,
   * the ceiling of this speed-up on this machine. Absent with `--copies none`, without a
   * one-thread first count, and in older reports.
   */
  copiesRatios?: number[];
}

/** Several one-thread copies of one MoCo row, each in its own process, all at once. */
export interface CopiesResult {
  config: string;
  /** Round of `--rounds` (from 0) it was measured in, beside that round's rows. */
  round: number;
  /** Each copy's img/s. */
  imgPerSec: number[];
  /** Their sum: the machine's throughput with every copy running. */
  totalImgPerSec: number;
  /** Share of the longest timed loop during which every copy was in its timed loop (1: fully side by side). */
  overlap: number;
}

/** The times of one hand-off, in seconds (as `HandoffResult`'s fields say). */
export interface HandoffTimes {
  seconds: number;
  encodeSeconds: number;
  sendSeconds: number;
  decodeSeconds: number;
  wallSeconds: number;
  upSeconds: number;
  downSeconds: number;
}

export interface HandoffResult {
  /** Model whose online-encoder weights were handed on. */
  config: string;
  params: number;
  bytes: number;
  /** encode + send + decode. */
  seconds: number;
  /** msgpackr encoding of the state map in the sending client (encodeState). */
  encodeSeconds: number;
  /** Sending client -> coordinator -> receiving client, streamed over HTTP and hashed (shared/blob-http.ts). */
  sendSeconds: number;
  /** Decoding and structure check in the receiving client (decodeState). */
  decodeSeconds: number;
  /** The wire encoding (`float32`, `float16+deflate`, ...). */
  transfer?: string;
  /** Wire bytes of the state: `up` sender -> coordinator, `down` coordinator -> receiver (re-sends included). */
  wireBytes?: { up: number; down: number };
  /**
   * From the first task sent to the second task's result: the send plus what `sendSeconds`
   * leaves out (the engines' encodeState/decodeState, the clients' wire encoding and
   * decoding, and the tasks' round trips).
   */
  wallSeconds?: number;
  /** Sender -> coordinator: the state's arrival at the coordinator, with its wire decoding there. */
  upSeconds?: number;
  /** Coordinator -> receiver: its wire encoding and upload (and the receiver's tiny result). */
  downSeconds?: number;
  /**
   * The next hand-off between the same processes, as a relay's second: the receiver, handed
   * the state again, passes it on to the first sender, writing it into the memory of the
   * one it was handed. The first (the fields above) is a relay's first: its sender makes
   * its state in fresh memory. Absent in reports made before it was measured.
   */
  warm?: HandoffTimes;
  /** The link every host was limited to (`--handoff-link`), as tc writes it. */
  link?: string;
  /** Seconds the wire bytes of one direction take at the link's rate: the link's own limit. */
  linkSeconds?: number;
}

/** One wire encoding of a state, in-process (bench/wire-costs.ts). */
export interface WireCostResult {
  config: string;
  transfer: string;
  params: number;
  /** The float32 state's bytes. */
  stateBytes: number;
  wireBytes: number;
  /** The sender's encoding (float16 conversion, deflate). */
  encodeSeconds: number;
  /** The receiver's decoding back to float32 state bytes. */
  decodeSeconds: number;
}

export interface BenchReport {
  backend: string | null;
  moco: MocoResult[];
  handoff: HandoffResult | null;
  /** Hand-off in each wire encoding (`--handoff-encodings`). */
  handoffEncodings?: HandoffResult[];
  /** Each of those encodings' in-process costs on a state of the same model, initialised as a model is. */
  wireCosts?: WireCostResult[];
  /** Hand-off time against model size (`--handoff-sizes`). */
  handoffSizes: HandoffResult[];
  /** Hand-off over rate-limited links between test hosts (`--handoff-link`), one per rate and encoding. */
  handoffLinks?: HandoffResult[];
  /** Coordinator overhead against the number of clients (`--overhead-clients`). */
  overhead: OverheadResult[];
  /** Client start-up, compiled and from the sources (`--startup`). */
  startup?: StartupResult[];
  /** Why the rows have no PyTorch reference, when `--torch auto` found none. */
  torchMissing?: string;
  /** Each thread count over the first, per configuration and round (absent with one thread count, and in older reports). */
  threadScaling?: ThreadScaling[];
  /** One-thread copies at once, per configuration, thread count and round (absent with `--copies none` and in older reports). */
  copies?: CopiesResult[];
  /** Thread scaling from interleaved slices of warm processes (`--interleave`; ./interleave-plan.ts). */
  interleaved?: InterleavedScaling[];
  /** A variant's environment against the plain processes, in the same cycles (`--interleave-env`). */
  interleavedVariants?: InterleavedVariant[];
}

/** What one cycle measured, img/s by slice. */
export interface CycleResult {
  ours: Record<number, number>;
  torch?: Record<number, number>;
  /** Ours started with the variant's environment, by thread count (`--interleave-env`). */
  variant?: Record<number, number>;
  /** By copy count: each copy's img/s, and how far their slices overlapped (./moco-copies.ts windowOverlap). */
  copies?: Record<number, { imgPerSec: number[]; overlap: number }>;
}

/** Interleaved thread scaling (./interleave-plan.ts): one thread count against the base, over the cycles (each array has one value per cycle). */
export interface InterleavedScaling {
  config: string;
  threads: number;
  baseThreads: number;
  cycles: number;
  sliceSeconds: number;
  /** Our img/s at `threads` over ours at `baseThreads`, cycle by cycle. */
  ratios: number[];
  /** PyTorch's, when it was measured. */
  torchRatios?: number[];
  /** `threads` one-thread copies at once, summed, over ours on one thread alone (a base of 1 only). */
  copiesRatios?: number[];
  /** Our speed-up over the copies', cycle by cycle: the share of this machine's ceiling that the threads reach. */
  ofCopies?: number[];
  /** The copies' overlap, cycle by cycle. */
  copiesOverlap?: number[];
  /** Lower medians over the cycles. */
  median: { ratio: number; torch?: number; copies?: number; ofCopies?: number };
  /** What each cycle measured, img/s by slice (every thread count's, not only this entry's). */
  perCycle: CycleResult[];
}

/** A variant's environment against the plain process, at one thread count, over the cycles (`--interleave-env`). */
export interface InterleavedVariant {
  config: string;
  /** What the variant's processes were started with, on top of the plain ones' environment. */
  env: Record<string, string>;
  threads: number;
  /** The variant's img/s over the plain process's, cycle by cycle. */
  ratios: number[];
  /** Their lower median. */
  median: number;
  /** What the variant's process said it computes on (its backend, kernels and threads). */
  backend?: string;
}
