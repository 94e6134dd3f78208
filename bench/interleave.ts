/**
 * Interleaved thread scaling, the processes (the plan and the arithmetic are
 * ./interleave-plan.ts): for one configuration, a warm process per thread count, one
 * more one-thread process per extra copy, and PyTorch's per thread count when it is
 * there (and one per thread count started with the variant's environment, when there is
 * one), each started and warmed up alone; then cycles of slices, one slice at a time (the
 * copies' at once), each about `sliceSeconds` long at the process's last pace.
 */
import { entryFile } from '../shared/code-location.js';
import type { BackendName, BatchNormKernel, ConvAlgorithm } from '../shared/scenario.js';
import { RESULT_PREFIX, startClientLikeChild, startProcess, stopChild, type Child } from './child.js';
import { MODEL_CONFIGS, type ConfigName } from './configs.js';
import { cycleOrder, cycleSlices, copiesOf, envLabel, summarize, summarizeVariant, type Slice } from './interleave-plan.js';
import type { CycleResult, InterleavedScaling, InterleavedVariant } from './report-types.js';
import { MAX_SLICE_STEPS, readReady, readSlice, requestLine, type SliceResult } from './slice-protocol.js';
import { TORCH_SCRIPT } from './torch-reference.js';
import { ratioText } from './ratio-text.js';

const WORKER_ENTRY = entryFile('bench/slice-worker');
/** Start-up and warm-up of one process (the first import of torch is slow). */
const READY_TIMEOUT_MS = 600_000;

export interface InterleaveOptions {
  config: ConfigName;
  /** Thread counts, the base first. */
  threads: readonly number[];
  cycles: number;
  sliceSeconds: number;
  /** n one-thread copies at once beside each count n above a base of 1. */
  copies: boolean;
  /** PyTorch's interpreter, or null for none. */
  torchPython: string | null;
  /** A variant: environment variables its processes start with, on top of the plain ones' (none when absent or empty). */
  variantEnv?: Readonly<Record<string, string>>;
  backend: BackendName;
  batchNorm: BatchNormKernel;
  convolutions: ConvAlgorithm;
  dataWorkers?: number;
  /** Fewer warm-up steps (for tests). */
  quick?: boolean;
  log?: (line: string) => void;
}

/** A warm process stepped in slices. */
interface Slicer {
  readonly label: string;
  /** Milliseconds per step of its last slice alone (its warm-up's at first). */
  paceMs: number;
  /** What it computes on, as its ready line said. */
  readonly backend?: string;
  /** Runs `steps` steps; bounded by `timeoutMs`. */
  run(steps: number, timeoutMs: number): Promise<SliceResult>;
  close(): Promise<void>;
}

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function slicerOf(child: Child, label: string): Promise<Slicer> {
  const close = async () => {
    child.endInput();
    await stopChild(child);
  };
  try {
    const ready = readReady(await within(child.line(RESULT_PREFIX), READY_TIMEOUT_MS, `${label} warming up`), label);
    return {
      label,
      paceMs: Math.max(ready.warmStepMs, 1),
      ...(ready.backend !== undefined ? { backend: ready.backend } : {}),
      async run(steps, timeoutMs) {
        child.send(requestLine(steps));
        return readSlice(await within(child.line(RESULT_PREFIX), timeoutMs, `${label} running ${steps} steps`), steps, label);
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function startOurs(o: InterleaveOptions, threads: number, env: Readonly<Record<string, string>> = {}): Child {
  const { widths, batch } = MODEL_CONFIGS[o.config];
  const args = ['--backend', o.backend, '--threads', String(threads), '--widths', widths.join(','), '--batch', String(batch), '--warmup', o.quick ? '1' : '2'];
  args.push('--batch-norm', o.batchNorm, '--convolutions', o.convolutions);
  if (o.dataWorkers !== undefined) args.push('--data-workers', String(o.dataWorkers));
  // As a spawned client, as the bench's rows.
  return startClientLikeChild(WORKER_ENTRY, args, { env, input: true });
}

function startTorch(o: InterleaveOptions, python: string, threads: number): Child {
  const spec = { config: o.config, threads, warmup: o.quick ? 1 : 2, augment: 'simple', maxSteps: MAX_SLICE_STEPS };
  return startProcess([python, TORCH_SCRIPT, '--serve', JSON.stringify(spec)], { input: true });
}

/** Steps that take about `seconds` at `paceMs` a step. */
const stepsFor = (seconds: number, paceMs: number) => Math.min(MAX_SLICE_STEPS, Math.max(1, Math.round((seconds * 1000) / paceMs)));

/** A slice's time bound: ten times what it should take, and at least a minute. */
const boundMs = (steps: number, paceMs: number) => Math.max(60_000, 10 * steps * paceMs);

export interface Interleaved {
  /** One entry per thread count above the base. */
  scaling: InterleavedScaling[];
  /** One entry per thread count, with a variant (else empty). */
  variants: InterleavedVariant[];
}

/** The configuration's interleaved scaling, and its variant against the plain processes. */
export async function measureInterleaved(o: InterleaveOptions): Promise<Interleaved> {
  if (o.threads.length < 2) throw new Error('interleaved scaling: needs at least two thread counts');
  const log = o.log ?? (() => undefined);
  const variantEnv = o.variantEnv ?? {};
  const withVariant = Object.keys(variantEnv).length > 0;
  const variantLabel = envLabel(variantEnv);
  const slices = cycleSlices({ threads: o.threads, torch: o.torchPython !== null, copies: o.copies, variant: withVariant });
  const extraCopies = Math.max(0, ...slices.map((s) => (s.kind === 'copies' ? s.copies - 1 : 0)));
  const started: Slicer[] = [];
  const start = async (label: string, child: () => Child) => {
    log(`bench:   starting ${label} ...`);
    const s = await slicerOf(child(), label);
    started.push(s);
    return s;
  };
  try {
    const ours = new Map<number, Slicer>();
    for (const t of o.threads) ours.set(t, await start(`${o.config} on ${t} thread(s)`, () => startOurs(o, t)));
    const variant = new Map<number, Slicer>();
    if (withVariant) {
      for (const t of o.threads) variant.set(t, await start(`${o.config} on ${t} thread(s) with ${variantLabel}`, () => startOurs(o, t, variantEnv)));
    }
    const copies: Slicer[] = [];
    for (let i = 0; i < extraCopies; i++) copies.push(await start(`${o.config} one-thread copy ${i + 2}`, () => startOurs(o, 1)));
    const torch = new Map<number, Slicer>();
    if (o.torchPython !== null) {
      for (const t of o.threads) torch.set(t, await start(`PyTorch ${o.config} on ${t} thread(s)`, () => startTorch(o, o.torchPython!, t)));
    }

    const alone = async (s: Slicer): Promise<number> => {
      const steps = stepsFor(o.sliceSeconds, s.paceMs);
      const r = await s.run(steps, boundMs(steps, s.paceMs));
      s.paceMs = (r.toMs - r.fromMs) / steps;
      return r.imgPerSec;
    };
    const cycles: CycleResult[] = [];
    for (let cycle = 0; cycle < o.cycles; cycle++) {
      const result: CycleResult = { ours: {}, ...(torch.size ? { torch: {} } : {}), ...(withVariant ? { variant: {} } : {}) };
      for (const slice of cycleOrder(slices, cycle)) await runSlice(slice, result);
      cycles.push(result);
      const base = o.threads[0];
      log(`bench:   cycle ${cycle + 1} of ${o.cycles}: ${o.threads.slice(1).map((t) => `${t} over ${base}: ${ratioText(result.ours[t] / result.ours[base])}`).join(', ')}`);
    }
    return {
      scaling: summarize(o.config, o.threads, o.sliceSeconds, cycles),
      // What each variant process said it computes on: the environment may change it (e.g. STREAMSSL_ONEDNN=0).
      variants: withVariant
        ? summarizeVariant(o.config, variantEnv, o.threads, cycles).map((v) => {
          const backend = variant.get(v.threads)?.backend;
          return backend === undefined ? v : { ...v, backend };
        })
        : [],
    };

    async function runSlice(slice: Slice, into: CycleResult): Promise<void> {
      if (slice.kind === 'ours') into.ours[slice.threads] = await alone(ours.get(slice.threads)!);
      else if (slice.kind === 'torch') into.torch![slice.threads] = await alone(torch.get(slice.threads)!);
      else if (slice.kind === 'variant') into.variant![slice.threads] = await alone(variant.get(slice.threads)!);
      else {
        // Every copy runs the steps one copy alone takes for a slice, so their slices end together.
        const one = ours.get(1)!;
        const group = [one, ...copies.slice(0, slice.copies - 1)];
        const steps = stepsFor(o.sliceSeconds, one.paceMs);
        const results = await Promise.all(group.map((s) => s.run(steps, boundMs(steps, one.paceMs * slice.copies))));
        into.copies = { ...into.copies, [slice.copies]: copiesOf(results) };
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.close()));
  }
}
