/**
 * Child process of `streamssl bench`: loads one backend with one thread count, measures
 * one MoCo configuration, then (with --eval-seconds) its evaluation (./eval-measure.ts),
 * and prints the result as one line, `RESULT_PREFIX` + JSON, on stdout. One process per
 * measurement, so backends and thread pools never interfere.
 *
 *   node --import tsx bench/moco-worker.ts --backend wasm --threads 1 --config small \
 *     --widths 16,32,64,128 --batch 64 --warmup 2 [--steps N | --seconds S] [--breakdown-steps N] [--data-workers N] [--batch-norm composed|fused] [--convolutions direct|winograd]
 *     [--eval-seconds S [--eval-quick]]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../client/backend.js';
import type { BackendName } from '../shared/scenario.js';
import { parseBatchNorm, parseConvolutions } from './configs.js';
import { useConvolutions } from '../client/engine/convolutions.js';
import { RESULT_PREFIX } from './child.js';
import type { MocoResult } from './report-types.js';
import { measureEval } from './eval-measure.js';
import { measureMoco } from './moco-measure.js';
import { peakRssMb } from './peak-rss.js';

function intOrNull(value: string | undefined, name: string): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'auto' },
      threads: { type: 'string', default: '1' },
      config: { type: 'string', default: 'custom' },
      widths: { type: 'string' },
      batch: { type: 'string' },
      warmup: { type: 'string', default: '2' },
      steps: { type: 'string' },
      seconds: { type: 'string', default: '15' },
      'breakdown-steps': { type: 'string' },
      'data-workers': { type: 'string' },
      'batch-norm': { type: 'string', default: 'composed' },
      convolutions: { type: 'string', default: 'direct' },
      'eval-seconds': { type: 'string' },
      'eval-quick': { type: 'boolean', default: false },
    },
  });
  const threads = intOrNull(values.threads, 'threads')!;
  const widths = (values.widths ?? '').split(',').map(Number);
  const batch = intOrNull(values.batch, 'batch');
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`--widths: expected positive integers, got "${values.widths}"`);
  if (!batch) throw new Error('--batch: required');

  const batchNorm = parseBatchNorm(values['batch-norm']);
  const convolutions = parseConvolutions(values.convolutions);
  const choice = await selectBackend(values.backend as BackendName, { threads });
  // For the whole process: training and evaluation alike, as a task runs them.
  useConvolutions(convolutions);
  const m = await measureMoco({
    widths,
    batch,
    warmupSteps: intOrNull(values.warmup, 'warmup')!,
    steps: intOrNull(values.steps, 'steps'),
    seconds: Number(values.seconds),
    breakdownSteps: intOrNull(values['breakdown-steps'], 'breakdown-steps'),
    dataWorkers: intOrNull(values['data-workers'], 'data-workers') ?? undefined,
    batchNorm,
  });
  // Read before the evaluation: the column is a training client's peak.
  const peak = await peakRssMb();
  const evalSeconds = values['eval-seconds'] === undefined ? 0 : Number(values['eval-seconds']);
  if (!(evalSeconds >= 0)) throw new Error(`--eval-seconds: expected a non-negative number, got "${values['eval-seconds']}"`);
  const evaluation = evalSeconds > 0 ? measureEval({ widths, batch, seconds: evalSeconds, quick: values['eval-quick']! }) : undefined;
  const result: MocoResult = {
    config: values.config!,
    widths,
    batch,
    threads,
    threadsActual: choice.threads,
    batchNorm,
    convolutions,
    backend: choice.name,
    backendReason: choice.reason,
    ...m,
    peakRssMb: peak,
    ...(evaluation ? { eval: evaluation } : {}),
  };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().then(
  // Thread pools and pipeline workers must not keep a finished measurement alive.
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`bench worker: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
