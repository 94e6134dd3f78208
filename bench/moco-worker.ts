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
import { useConvolutions } from '../client/engine/convolutions.js';
import { RESULT_PREFIX } from './child.js';
import { LOOP_FLAG_OPTIONS, readLoopFlags } from './loop-flags.js';
import { flagValue, parseNonNegative, parseSecondsOrZero } from './options.js';
import type { MocoResult } from './report-types.js';
import { measureEval } from './eval-measure.js';
import { measureMoco } from './moco-measure.js';
import { peakRssMb } from './peak-rss.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...LOOP_FLAG_OPTIONS,
      config: { type: 'string', default: 'custom' },
      steps: { type: 'string' },
      seconds: { type: 'string', default: '15' },
      'breakdown-steps': { type: 'string' },
      'eval-seconds': { type: 'string' },
      'eval-quick': { type: 'boolean', default: false },
    },
  });
  const { backend, threads, widths, batch, warmup, dataWorkers, batchNorm, convolutions } = readLoopFlags(values);
  const optionalCount = (flag: string, value: string | undefined) => (value === undefined ? null : flagValue(flag, parseNonNegative, value));
  const steps = optionalCount('--steps', values.steps);
  const breakdownSteps = optionalCount('--breakdown-steps', values['breakdown-steps']);
  const seconds = flagValue('--seconds', parseSecondsOrZero, values.seconds);
  const evalSeconds = values['eval-seconds'] === undefined ? 0 : flagValue('--eval-seconds', parseSecondsOrZero, values['eval-seconds']);

  const choice = await selectBackend(backend, { threads });
  // For the whole process: training and evaluation alike, as a task runs them.
  useConvolutions(convolutions);
  const m = await measureMoco({
    widths,
    batch,
    warmupSteps: warmup,
    steps,
    seconds,
    breakdownSteps,
    dataWorkers,
    batchNorm,
  });
  // Read before the evaluation: the column is a training client's peak.
  const peak = await peakRssMb();
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
