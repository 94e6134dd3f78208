/**
 * `streamssl bench`: MoCo-v2 throughput per configuration and thread count (each in a
 * fresh child process, bench/moco-worker.ts), then the hand-off of a model state between
 * two client processes through a coordinator (bench/handoff.ts).
 */
import { medianRows, threadScaling } from './moco-rounds.js';
import type { BackendName } from '../shared/scenario.js';
import { DEFAULT_TRANSFER, transferLabel, type TransferSpec } from '../shared/wire/transfer-spec.js';
import { RESULT_PREFIX, startClientLikeChild, stopChild } from './child.js';
import { MODEL_CONFIGS, type ConfigName } from './configs.js';
import type { BenchReport, CopiesResult, HandoffResult, MocoResult } from './report-types.js';
import { measureHandoff } from './handoff.js';
import { measureHandoffSizes } from './handoff-sizes.js';
import { measureHandoffLinks } from './handoff-link.js';
import type { HandoffSizeName } from './options.js';
import { measureOverhead } from './overhead.js';
import { measureWireCosts } from './wire-costs.js';
import { measureStartups } from './startup.js';
import { entryFile } from '../shared/code-location.js';
import type { BatchNormKernel, ConvAlgorithm } from '../shared/scenario.js';
import { measureTorchRow, probeTorch, type TorchProbe } from './torch-reference.js';
import { measureCopies } from './moco-copies.js';
import { measureInterleaved } from './interleave.js';
import type { InterleavedScaling, InterleavedVariant } from './report-types.js';
import { ratioText } from './ratio-text.js';

export { formatReport } from './format.js';

const WORKER_ENTRY = entryFile('bench/moco-worker');
/** Time budget of an evaluation's feature extraction (kNN and linear probe come on top). */
const DEFAULT_EVAL_SECONDS = 10;
/** Length of one slice of the interleaved thread scaling. */
const DEFAULT_SLICE_SECONDS = 4;
/** Start-ups per variant and client count (their times vary more than a throughput loop's). */
const STARTUP_REPEATS = 3;

export interface BenchOptions {
  configs: ConfigName[];
  threads: number[];
  backend: BackendName;
  /** Fewer steps: one warm-up, two timed, one instrumented. */
  quick: boolean;
  /** Timed steps per measurement; default as many as fit in `seconds`. */
  steps?: number;
  /** Time budget of each throughput loop (default 15 s; the breakdown adds about half). */
  seconds?: number;
  /** Time budget of each evaluation's feature extraction (0: no evaluation measured; default 10 s). */
  evalSeconds?: number;
  /** Input pipeline worker threads (default: the pipeline's, as in training). */
  dataWorkers?: number;
  /** Training batch norm of the MoCo measurements (default composed). */
  batchNorm?: BatchNormKernel;
  /** Convolutions of the MoCo and evaluation measurements (default direct). */
  convolutions?: ConvAlgorithm;
  /** Times every MoCo row is measured, round after round (default 1; 0: no rows): see moco-rounds.ts. */
  rounds?: number;
  /** `auto`: each MoCo row followed by PyTorch's, when python3 imports torch; `none`: never. */
  torch?: 'auto' | 'none';
  /**
   * `auto` (default): after a configuration's rows in each round, for each thread count n
   * above a first count of 1, n one-thread copies of the row at once (./moco-copies.ts);
   * `none`: never.
   */
  copies?: 'auto' | 'none';
  /**
   * Cycles of the interleaved thread scaling (./interleave-plan.ts) per configuration,
   * after the rows (0 or absent: none).
   */
  interleave?: number;
  /** Length of one slice of the interleaved scaling, in seconds (default 4). */
  sliceSeconds?: number;
  /** Environment of a variant measured beside the interleaved scaling's processes (none when absent or empty). */
  interleaveEnv?: Readonly<Record<string, string>>;
  /** Model whose state is handed off, or null for none. */
  handoff: ConfigName | null;
  /**
   * Wire encodings the hand-off of the `handoff` model (resnet18 when none) is measured in,
   * one hand-off each (none when empty).
   */
  handoffEncodings?: readonly TransferSpec[];
  /** Link rates the hand-off is measured over between test hosts (none when empty; needs root). */
  handoffLinks?: readonly string[];
  /** Models whose hand-off time is measured against their size (none when empty). */
  handoffSizes?: readonly HandoffSizeName[];
  /** Client counts the coordinator's overhead is measured with (none when empty). */
  overheadClients?: readonly number[];
  /** Client counts whose start-up is measured, each started at once (none when empty). */
  startupClients?: readonly number[];
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
}

function isMocoResult(x: unknown): x is MocoResult {
  const r = x as MocoResult;
  return typeof r === 'object' && r !== null && typeof r.imgPerSec === 'number' && typeof r.stepMs === 'object';
}

/** Runs one MoCo measurement in a child process. */
export async function runMocoChild(config: ConfigName, threads: number, o: BenchOptions): Promise<MocoResult> {
  const { widths, batch } = MODEL_CONFIGS[config];
  const args = ['--backend', o.backend, '--threads', String(threads), '--config', config, '--widths', widths.join(','), '--batch', String(batch)];
  if (o.quick) args.push('--warmup', '1', '--steps', String(o.steps ?? 2), '--breakdown-steps', '1');
  else {
    args.push('--warmup', '2', '--seconds', String(o.seconds ?? 15));
    if (o.steps !== undefined) args.push('--steps', String(o.steps));
  }
  if (o.dataWorkers !== undefined) args.push('--data-workers', String(o.dataWorkers));
  args.push('--batch-norm', o.batchNorm ?? 'composed', '--convolutions', o.convolutions ?? 'direct');
  const evalSeconds = o.evalSeconds ?? DEFAULT_EVAL_SECONDS;
  if (evalSeconds > 0) args.push('--eval-seconds', String(evalSeconds), ...(o.quick ? ['--eval-quick'] : []));
  // As a spawned client: the peak memory column is a client's.
  const child = startClientLikeChild(WORKER_ENTRY, args);
  try {
    const result = await child.line(RESULT_PREFIX);
    if (!isMocoResult(result)) throw new Error(`bench worker: unexpected result ${JSON.stringify(result).slice(0, 200)}`);
    await child.exited;
    return result;
  } finally {
    await stopChild(child);
  }
}

/** One MoCo row in its own child process, then PyTorch's same step when it is there. */
async function measureRow(config: ConfigName, threads: number, round: number, o: BenchOptions, torch: TorchProbe | null, log: (line: string) => void): Promise<MocoResult> {
  const { widths, batch } = MODEL_CONFIGS[config];
  const of = (o.rounds ?? 1) > 1 ? ` (round ${round + 1} of ${o.rounds})` : '';
  log(`bench: MoCo-v2 ${config} (widths ${widths.join('-')}, batch ${batch}), ${threads} thread${threads === 1 ? '' : 's'}${of} ...`);
  const r = await runMocoChild(config, threads, o);
  log(`bench:   ${r.imgPerSec.toFixed(1)} img/s, ${r.gflops.toFixed(1)} GFLOP/s on ${r.backend} (${r.steps} steps in ${r.seconds.toFixed(1)} s)`);
  if (r.eval) log(`bench:   evaluation: features ${r.eval.imgPerSec.toFixed(0)} img/s, kNN ${r.eval.knnSeconds.toFixed(2)} s, linear probe ${r.eval.linearSeconds.toFixed(2)} s`);
  if (torch?.python) {
    r.torch = await measureTorchRow({
      python: torch.python, version: torch.version, config, threads,
      warmup: o.quick ? 1 : 2, steps: o.quick ? (o.steps ?? 2) : (o.steps ?? null), seconds: o.seconds ?? 15,
    });
    log(`bench:   PyTorch ${torch.version}: ${r.torch.imgPerSec.toFixed(1)} img/s (ratio ${(r.imgPerSec / r.torch.imgPerSec).toFixed(2)})`);
  }
  return r;
}

/** Every measurement the options ask for, one after the other (they must not share the CPU). */
export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const log = o.log ?? (() => undefined);
  const torch = o.torch === 'none' ? null : probeTorch();
  if (torch?.python === null) log(`bench: no PyTorch reference: ${torch.reason}`);
  const rounds: MocoResult[][] = [];
  const copies: CopiesResult[] = [];
  const copyCounts = o.copies !== 'none' && o.threads[0] === 1 ? o.threads.filter((t) => t > 1) : [];
  if (o.copies !== 'none' && o.threads[0] !== 1 && o.threads.length > 1) log(`bench: no one-thread copies: the first thread count is ${o.threads[0]}, not 1`);
  for (let round = 0; round < (o.rounds ?? 1); round++) {
    const measured: MocoResult[] = [];
    rounds.push(measured);
    for (const config of o.configs) {
      for (const threads of o.threads) measured.push(await measureRow(config, threads, round, o, torch, log));
      for (const n of copyCounts) {
        log(`bench: ${n} one-thread copies of MoCo-v2 ${config} at once, each its own process ...`);
        // Training only: their evaluations would come after the loops, side by side with nothing.
        const c = await measureCopies(config, n, round, () => runMocoChild(config, 1, { ...o, evalSeconds: 0 }));
        const alone = measured.find((r) => r.config === config && r.threads === 1)!;
        log(`bench:   ${c.imgPerSec.map((x) => x.toFixed(1)).join(' + ')} = ${c.totalImgPerSec.toFixed(1)} img/s, ${ratioText(c.totalImgPerSec / alone.imgPerSec)} one thread alone (loops overlapped ${(100 * c.overlap).toFixed(0)}%)`);
        copies.push(c);
      }
    }
  }
  // No rounds (`--rounds 0`): no rows, for a run of the interleaved scaling alone.
  const moco = rounds.length > 0 ? medianRows(rounds) : [];
  const scaling = rounds.length > 0 ? threadScaling(rounds, copies) : [];
  const interleaved: InterleavedScaling[] = [];
  const interleavedVariants: InterleavedVariant[] = [];
  if ((o.interleave ?? 0) > 0 && o.threads.length > 1) {
    for (const config of o.configs) {
      log(`bench: interleaved thread scaling of ${config}: ${o.interleave} cycles of ${o.sliceSeconds ?? DEFAULT_SLICE_SECONDS} s slices ...`);
      const measured = await measureInterleaved({
        config,
        threads: o.threads,
        cycles: o.interleave!,
        sliceSeconds: o.sliceSeconds ?? DEFAULT_SLICE_SECONDS,
        copies: o.copies !== 'none',
        torchPython: torch?.python ?? null,
        backend: o.backend,
        batchNorm: o.batchNorm ?? 'composed',
        convolutions: o.convolutions ?? 'direct',
        dataWorkers: o.dataWorkers,
        quick: o.quick,
        variantEnv: o.interleaveEnv,
        log,
      });
      interleaved.push(...measured.scaling);
      interleavedVariants.push(...measured.variants);
    }
  } else if ((o.interleave ?? 0) > 0) log('bench: no interleaved thread scaling: it needs at least two thread counts');
  let handoff = null;
  if (o.handoff) {
    log(`bench: hand-off of the ${o.handoff} online encoder between two client processes ...`);
    handoff = await measureHandoff({ config: o.handoff, model: MODEL_CONFIGS[o.handoff] });
  }
  const encodingsConfig = o.handoff ?? 'resnet18';
  const wireCosts = o.handoffEncodings?.length ? measureWireCosts(encodingsConfig, MODEL_CONFIGS[encodingsConfig], o.handoffEncodings) : [];
  const handoffEncodings: HandoffResult[] = [];
  for (const transfer of o.handoffEncodings ?? []) {
    log(`bench: hand-off of the ${encodingsConfig} online encoder as ${transferLabel(transfer)} ...`);
    const r = await measureHandoff({ config: encodingsConfig, model: MODEL_CONFIGS[encodingsConfig], transfer });
    log(`bench:   ${(r.wireBytes!.up / 1e6).toFixed(1)} MB on the wire each way, send ${r.sendSeconds.toFixed(3)} s, wall ${r.wallSeconds!.toFixed(3)} s`);
    handoffEncodings.push(r);
  }
  if (o.handoffLinks?.length) log(`bench: hand-off of the ${encodingsConfig} online encoder across test hosts, links held to ${o.handoffLinks.join(', ')} ...`);
  const handoffLinks = await measureHandoffLinks({
    config: encodingsConfig,
    links: o.handoffLinks ?? [],
    transfers: o.handoffEncodings?.length ? o.handoffEncodings : [DEFAULT_TRANSFER],
    log,
  });
  const handoffSizes = await measureHandoffSizes(o.handoffSizes ?? [], log);
  const overhead = await measureOverhead(o.overheadClients ?? [], log);
  if (o.startupClients?.length) log(`bench: client start-up with ${o.startupClients.join(', ')} client(s) started at once ...`);
  const startup = await measureStartups(o.startupClients ?? [], o.quick ? 1 : STARTUP_REPEATS, log);
  return {
    backend: moco[0]?.backend ?? null, moco, handoff, handoffEncodings, wireCosts, handoffLinks, handoffSizes, overhead, startup,
    ...(torch?.python === null ? { torchMissing: torch.reason } : {}),
    ...(scaling.length > 0 ? { threadScaling: scaling } : {}),
    ...(copies.length > 0 ? { copies } : {}),
    ...(interleaved.length > 0 ? { interleaved } : {}),
    ...(interleavedVariants.length > 0 ? { interleavedVariants } : {}),
  };
}
