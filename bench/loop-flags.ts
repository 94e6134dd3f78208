/**
 * The flags that set up a bench child's training loop, as the row worker
 * (./moco-worker.ts) and the slice worker (./slice-worker.ts) both take them:
 * one parse, one set of messages naming the flag and the value.
 */
import type { BackendName, BatchNormKernel, ConvAlgorithm } from '../shared/scenario.js';
import { parseBatchNorm, parseConvolutions } from './configs.js';
import { flagValue, parseCount, parseNonNegative } from './options.js';

/** `parseArgs` options of the loop's flags, to spread into a worker's own. */
export const LOOP_FLAG_OPTIONS = {
  backend: { type: 'string', default: 'auto' },
  threads: { type: 'string', default: '1' },
  widths: { type: 'string' },
  batch: { type: 'string' },
  warmup: { type: 'string', default: '2' },
  'data-workers': { type: 'string' },
  'batch-norm': { type: 'string', default: 'composed' },
  convolutions: { type: 'string', default: 'direct' },
} as const;

export interface LoopFlags {
  backend: BackendName;
  threads: number;
  widths: number[];
  batch: number;
  warmup: number;
  dataWorkers?: number;
  batchNorm: BatchNormKernel;
  convolutions: ConvAlgorithm;
}

type LoopFlagValues = { [K in keyof typeof LOOP_FLAG_OPTIONS]?: string };

export function readLoopFlags(values: LoopFlagValues): LoopFlags {
  const dataWorkers = values['data-workers'];
  return {
    backend: (values.backend ?? 'auto') as BackendName,
    threads: flagValue('--threads', parseCount, values.threads),
    widths: (values.widths ?? '').split(',').map((w) => flagValue('--widths', parseCount, w)),
    batch: flagValue('--batch', parseCount, values.batch),
    warmup: flagValue('--warmup', parseCount, values.warmup),
    ...(dataWorkers === undefined ? {} : { dataWorkers: flagValue('--data-workers', parseNonNegative, dataWorkers) }),
    batchNorm: parseBatchNorm(values['batch-norm']),
    convolutions: parseConvolutions(values.convolutions),
  };
}
